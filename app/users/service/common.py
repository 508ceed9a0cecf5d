"""What the parts of the users service share: limits, the audited view, lookups, notes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import (
    NoteCategory,
    User,
    UserNote,
    UserStatus,
)
from app.users import repository

MAX_NAME = 200
MAX_REASON = 500
MAX_NOTE = 5000
MAX_FEEDBACK = 5000
MAX_PAGE = 500
MAX_METADATA_BYTES = 16_384
MAX_IMPERSONATION_MINUTES = 60
MAX_SUSPENSION_HOURS = 24 * 366 * 10
RESET_TOKEN_TTL = timedelta(hours=1)


def public_id(user: User) -> str:
    return encode(User.PREFIX, user.id)


def snapshot(user: User) -> dict[str, Any]:
    """The audited view of a user (secrets never included)."""
    return {
        "email": user.email,
        "name": user.name,
        "status": user.status,
        "isStaff": user.is_staff,
        "suspendedUntil": user.suspended_until,
        "suspensionReason": user.suspension_reason,
        "blockReason": user.block_reason,
        "metadata": user.profile,
    }


async def load(uow: UnitOfWork, user_id: uuid.UUID, field_name: str = "userId") -> User:
    user = await repository.get_user(uow.session, user_id)
    if user is None:
        raise not_found("User", field_name)
    return user


def require_not_deleted(user: User) -> None:
    if user.status is UserStatus.DELETED:
        raise UserInputError("This user was deleted.", ErrorCode.INVALID_STATE, "userId")


async def add_admin_note(
    uow: UnitOfWork, user: User, category: NoteCategory, body: str
) -> UserNote:
    note = UserNote(
        user_id=user.id,
        author_id=uow.actor.id,
        category=category,
        body=body,
        created_at=clock.now(),
    )
    uow.session.add(note)
    return note


def record_change(uow: UnitOfWork, action: str, user: User, before: dict[str, Any]) -> None:
    uow.record(action, "User", public_id(user), before=before, after=snapshot(user))


async def publish_user_event(
    uow: UnitOfWork, event_type: str, user: User, *, with_email: bool = True, **extra: Any
) -> None:
    """Publish an event about `user` to every customer they belong to (their webhooks)."""
    data: dict[str, Any] = {"userId": public_id(user), **extra}
    if with_email:
        data["email"] = user.email
    for customer_id in await repository.customer_ids_of_member(uow.session, user.id):
        uow.publish(event_type, data, customer_id=customer_id)
