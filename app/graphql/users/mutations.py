"""User lifecycle mutations (master scope)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import strawberry

from app.graphql.auth.types import Session
from app.graphql.context import Info
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import master_writer
from app.graphql.scalars import JSON
from app.graphql.users.types import User, UserNote
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import NoteCategory
from app.users import service
from app.users.repository import NOTE_MODEL


def _user_id(value: strawberry.ID) -> uuid.UUID:
    user_id: uuid.UUID = input_id(value, User.PREFIX, "userId", "User")
    return user_id


@strawberry.type(description="How many rows of one kind a hard delete removed.")
class RemovedCount:
    kind: str
    count: int


# ---------------------------------------------------------------- create / update


@strawberry.input
class UserCreateInput:
    email: str
    name: str = ""
    password: str | None = strawberry.field(
        default=None, description="At least 12 characters, not the email. Omit to invite later."
    )
    is_staff: bool = False


@strawberry.type
class UserCreatePayload(Payload):
    user: User | None = None


@mutation(master_writer, "Create a user; the email is normalized and must be unique.")
async def user_create(info: Info, input: UserCreateInput, uow: UnitOfWork) -> UserCreatePayload:
    user = await service.create_user(
        uow,
        info.context.runtime.passwords,
        email=input.email,
        name=input.name,
        password=input.password,
        is_staff=input.is_staff,
    )
    return UserCreatePayload(user=await read_back(uow.session, User, user.id))


@strawberry.input
class UserUpdateInput:
    user_id: strawberry.ID
    name: str | None = None
    email: str | None = None
    is_staff: bool | None = None
    metadata: JSON | None = strawberry.field(default=None, description="Replaces the metadata.")


@strawberry.type
class UserUpdatePayload(Payload):
    user: User | None = None


@mutation(
    master_writer, "Change name, email, staff flag or metadata; changes leave a GENERAL note."
)
async def user_update(info: Info, input: UserUpdateInput, uow: UnitOfWork) -> UserUpdatePayload:
    metadata = input.metadata
    if metadata is not None and not isinstance(metadata, dict):
        raise UserInputError("Metadata is a JSON object.", ErrorCode.INVALID, "metadata")
    user = await service.update_user(
        uow,
        user_id=_user_id(input.user_id),
        name=input.name,
        email=input.email,
        is_staff=input.is_staff,
        metadata=metadata,
    )
    return UserUpdatePayload(user=await read_back(uow.session, User, user.id))


# ---------------------------------------------------------------- suspension and blocking


@strawberry.input
class UserSuspendInput:
    user_id: strawberry.ID
    reason: str = strawberry.field(description="Why (1–500 characters); kept in a note.")
    until: datetime | None = strawberry.field(default=None, description="When it ends.")
    duration_hours: float | None = strawberry.field(
        default=None, description="Or: how long. Without either, it is indefinite."
    )


@strawberry.type
class UserSuspendPayload(Payload):
    user: User | None = None
    revoked_sessions: int | None = None


@mutation(
    master_writer, "Suspend until a time, for a duration, or indefinitely; signs the user out."
)
async def user_suspend(info: Info, input: UserSuspendInput, uow: UnitOfWork) -> UserSuspendPayload:
    user, revoked = await service.suspend_user(
        uow,
        user_id=_user_id(input.user_id),
        reason=input.reason,
        until=input.until,
        duration_hours=input.duration_hours,
    )
    return UserSuspendPayload(
        user=await read_back(uow.session, User, user.id), revoked_sessions=revoked
    )


@strawberry.input
class UserUnsuspendInput:
    user_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class UserUnsuspendPayload(Payload):
    user: User | None = None


@mutation(master_writer, "Lift a suspension.")
async def user_unsuspend(
    info: Info, input: UserUnsuspendInput, uow: UnitOfWork
) -> UserUnsuspendPayload:
    user = await service.unsuspend_user(
        uow,
        user_id=_user_id(input.user_id),
        reason=input.reason,
    )
    return UserUnsuspendPayload(user=await read_back(uow.session, User, user.id))


@strawberry.input
class UserBlockInput:
    user_id: strawberry.ID
    reason: str = strawberry.field(description="Why (1–500 characters); kept in a note.")


@strawberry.type
class UserBlockPayload(Payload):
    user: User | None = None
    revoked_sessions: int | None = None


@mutation(master_writer, "Block indefinitely (abuse); login is refused with USER_BLOCKED.")
async def user_block(info: Info, input: UserBlockInput, uow: UnitOfWork) -> UserBlockPayload:
    user, revoked = await service.block_user(
        uow,
        user_id=_user_id(input.user_id),
        reason=input.reason,
    )
    return UserBlockPayload(
        user=await read_back(uow.session, User, user.id), revoked_sessions=revoked
    )


@strawberry.input
class UserUnblockInput:
    user_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class UserUnblockPayload(Payload):
    user: User | None = None


@mutation(master_writer, "Lift a block.")
async def user_unblock(info: Info, input: UserUnblockInput, uow: UnitOfWork) -> UserUnblockPayload:
    user = await service.unblock_user(
        uow,
        user_id=_user_id(input.user_id),
        reason=input.reason,
    )
    return UserUnblockPayload(user=await read_back(uow.session, User, user.id))


# ---------------------------------------------------------------- deletion


@strawberry.input
class UserDeleteInput:
    user_id: strawberry.ID
    confirm: bool = strawberry.field(default=False, description="Must be true.")
    hard: bool = strawberry.field(
        default=False,
        description="Remove the user and everything that hangs off them, instead of scrubbing.",
    )


@strawberry.type
class UserDeletePayload(Payload):
    user: User | None = strawberry.field(
        default=None, description="The scrubbed record after a soft delete; null after a hard one."
    )
    deleted_user_id: strawberry.ID | None = None
    removed: list[RemovedCount] | None = None


@mutation(
    master_writer, "Soft delete (scrub personal data, keep the record); `hard` removes it all."
)
async def user_delete(info: Info, input: UserDeleteInput, uow: UnitOfWork) -> UserDeletePayload:
    deletion = await service.delete_user(
        uow,
        user_id=_user_id(input.user_id),
        confirm=input.confirm,
        hard=input.hard,
    )
    return UserDeletePayload(
        user=await read_back(uow.session, User, deletion.user.id)
        if deletion.user is not None
        else None,
        deleted_user_id=strawberry.ID(deletion.user_public_id),
        removed=[RemovedCount(kind=k, count=v) for k, v in deletion.removed.items()],
    )


# ---------------------------------------------------------------- credentials


@strawberry.input
class UserPasswordResetInput:
    user_id: strawberry.ID


@strawberry.type
class UserPasswordResetPayload(Payload):
    user: User | None = None
    reset_url: str | None = strawberry.field(
        default=None, description="A one-time link (1 hour), shown once: send it to the user."
    )
    expires_at: datetime | None = None

    secret_fields: ClassVar[frozenset[str]] = frozenset({"reset_url"})


@mutation(master_writer, "Issue a one-time password reset link (1 hour).")
async def user_password_reset(
    info: Info, input: UserPasswordResetInput, uow: UnitOfWork
) -> UserPasswordResetPayload:
    issued = await service.create_password_reset(
        uow,
        user_id=_user_id(input.user_id),
        app_url=info.context.settings.public_url,
    )
    return UserPasswordResetPayload(
        user=await read_back(uow.session, User, issued.user.id),
        reset_url=issued.url,
        expires_at=issued.expires_at,
    )


@strawberry.input
class UserSignOutInput:
    user_id: strawberry.ID


@strawberry.type
class UserSignOutPayload(Payload):
    user: User | None = None
    revoked_count: int | None = None


@mutation(master_writer, "Force sign-out: revoke every session of the user.")
async def user_sign_out(info: Info, input: UserSignOutInput, uow: UnitOfWork) -> UserSignOutPayload:
    user, revoked = await service.sign_out_user(
        uow,
        user_id=_user_id(input.user_id),
    )
    return UserSignOutPayload(
        user=await read_back(uow.session, User, user.id), revoked_count=revoked
    )


@strawberry.input
class UserImpersonateInput:
    user_id: strawberry.ID
    read_only: bool = strawberry.field(
        default=True, description="A read-only token is refused on every mutation."
    )
    minutes: int = strawberry.field(default=15, description="Lifetime, 1–60 minutes.")


@strawberry.type
class UserImpersonatePayload(Payload):
    token: str | None = strawberry.field(
        default=None, description="Acts in the user's session scope; shown once."
    )
    expires_at: datetime | None = None
    read_only: bool | None = None
    session: Session | None = None
    user: User | None = None

    secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})


@mutation(
    master_writer, "A short-lived token acting in the user's session scope; every use is audited."
)
async def user_impersonate(
    info: Info, input: UserImpersonateInput, uow: UnitOfWork
) -> UserImpersonatePayload:
    issued = await service.impersonate(
        uow,
        info.context.require_principal(),
        user_id=_user_id(input.user_id),
        read_only=input.read_only,
        minutes=input.minutes,
        client_addr=info.context.client_addr,
    )
    return UserImpersonatePayload(
        token=issued.token,
        expires_at=issued.session.expires_at,
        read_only=issued.session.read_only,
        session=await read_back(uow.session, Session, issued.session.id),
        user=await read_back(uow.session, User, issued.user.id),
    )


# ---------------------------------------------------------------- notes


@strawberry.input
class UserNoteCreateInput:
    user_id: strawberry.ID
    category: NoteCategory = NoteCategory.GENERAL
    body: str = strawberry.field(description="1–5,000 characters.")


@strawberry.type
class UserNoteCreatePayload(Payload):
    note: UserNote | None = None


@mutation(master_writer, "Add an admin note to a user.")
async def user_note_create(
    info: Info, input: UserNoteCreateInput, uow: UnitOfWork
) -> UserNoteCreatePayload:
    note = await service.add_note(
        uow,
        user_id=_user_id(input.user_id),
        category=input.category,
        body=input.body,
    )
    return UserNoteCreatePayload(note=await read_back(uow.session, UserNote, note.id))


@strawberry.input
class UserNoteDeleteInput:
    note_id: strawberry.ID


@strawberry.type
class UserNoteDeletePayload(Payload):
    deleted_note_id: strawberry.ID | None = None


@mutation(master_writer, "Delete an admin note.")
async def user_note_delete(
    info: Info, input: UserNoteDeleteInput, uow: UnitOfWork
) -> UserNoteDeletePayload:
    note = await service.delete_note(
        uow,
        note_id=input_id(input.note_id, UserNote.PREFIX, "noteId", "Note"),
    )
    return UserNoteDeletePayload(deleted_note_id=strawberry.ID(encode(NOTE_MODEL.prefix, note.id)))
