"""GraphQL types of the users domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import strawberry

from app.audit.repository import AUDIT_EVENT_MODEL
from app.graphql.audit.types import AuditEvent
from app.graphql.auth.types import Session
from app.graphql.context import Info
from app.graphql.customers.types import Membership
from app.graphql.node import Node, register_node
from app.graphql.pagination import Connection, connection_from_rows, nested_page, paginate
from app.graphql.permissions import master_only
from app.graphql.preload import Preload, relation
from app.graphql.scalars import JSON
from app.kit import clock
from app.kit.ids import encode
from app.kit.pagination import check_page_size
from app.models import FeedbackKind, NoteCategory, UserStatus
from app.models.users import effective_status
from app.users.repository import FEEDBACK_MODEL, NOTE_MODEL, USER_MODEL

UserStatusEnum = strawberry.enum(UserStatus, name="UserStatus")
NoteCategoryEnum = strawberry.enum(NoteCategory, name="NoteCategory")
FeedbackKindEnum = strawberry.enum(FeedbackKind, name="FeedbackKind")


@strawberry.type(description="Why and until when a user is suspended.")
class UserSuspension:
    reason: str | None
    until: datetime | None = strawberry.field(description="Null: indefinitely.")
    by: str | None = strawberry.field(description="Public id of the key or user who did it.")


@strawberry.type(description="When and why a user was blocked.")
class UserBlock:
    reason: str | None
    at: datetime | None


@strawberry.type(description="A person who uses the product.")
class User(Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    name: str
    status: UserStatus = strawberry.field(
        description="Effective status: a suspension whose end has passed reads ACTIVE."
    )
    created_at: datetime
    last_seen_at: datetime | None = strawberry.field(extensions=master_only())
    is_staff: bool | None = strawberry.field(extensions=master_only())
    metadata: JSON | None = strawberry.field(
        extensions=master_only(), description="Free-form JSON kept by operators."
    )
    suspension: UserSuspension | None = strawberry.field(
        extensions=master_only(), description="Set while the user is suspended."
    )
    block: UserBlock | None = strawberry.field(
        extensions=master_only(), description="Set while the user is blocked."
    )

    @classmethod
    def from_row(cls, row: Any) -> User:
        status = effective_status(row.status, row.suspended_until, clock.now())
        return cls(
            id=strawberry.ID(encode("usr", row.id)),
            pk=row.id,
            email=row.email,
            name=row.name,
            status=status,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_staff=row.is_staff,
            metadata=row.profile,
            suspension=UserSuspension(
                reason=row.suspension_reason, until=row.suspended_until, by=row.suspended_by
            )
            if status is UserStatus.SUSPENDED
            else None,
            block=UserBlock(reason=row.block_reason, at=row.blocked_at)
            if status is UserStatus.BLOCKED
            else None,
        )

    preloads: ClassVar[Mapping[str, Preload]] = {
        "memberships": Preload("memberships_by_user_id", "pk"),
        "notesCount": Preload(
            "notes_count_by_user_id", "pk", master_only="notesCount" in USER_MODEL.master_only
        ),
    }

    @strawberry.field(description="The customers this user belongs to, with the role in each.")
    def memberships(self, info: Info) -> list[Membership]:
        return relation(self, "memberships", info)  # type: ignore[no-any-return]

    @strawberry.field(extensions=master_only(), description="How many admin notes exist.")
    def notes_count(self, info: Info) -> int | None:
        return relation(self, "notesCount", info)  # type: ignore[no-any-return]

    @strawberry.field(extensions=master_only(), description="Admin notes, newest first.")
    async def notes(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[UserNote] | None:
        loaders = info.context.loaders
        return await nested_page(
            info,
            NOTE_MODEL,
            "user_id",
            self.pk,
            UserNote.from_row,
            first=first,
            after=after,
            first_pages=loaders.notes_first_page_by_user_id,
            counts=loaders.notes_count_by_user_id,
        )

    @strawberry.field(
        extensions=master_only(), description="Live login and impersonation sessions."
    )
    async def sessions(self, info: Info) -> list[Session] | None:
        found: list[Session] = await info.context.loaders.live_sessions_by_user_id.load(self.pk)
        return found

    @strawberry.field(
        extensions=master_only(),
        description="Audit events where this user is the target or the actor, newest first.",
    )
    async def activity(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[AuditEvent] | None:
        subject = str(self.id)
        if after is not None:
            return await paginate(
                info,
                AUDIT_EVENT_MODEL,
                AuditEvent.from_row,
                first=first,
                after=after,
                filters={"subject_id": subject},
            )
        size = check_page_size(first)
        loaders = info.context.loaders
        rows = await loaders.activity_first_page_by_user_id.load((subject, size))

        async def count() -> int:
            total: int = await loaders.activity_count_by_user_id.load(subject)
            return total

        kind = AUDIT_EVENT_MODEL.cursor_kind("SEQ", True)
        return connection_from_rows(rows, size, kind, AuditEvent.from_row, count)

    @strawberry.field(extensions=master_only(), description="Feedback the user sent, newest first.")
    async def feedback(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[Feedback] | None:
        loaders = info.context.loaders
        return await nested_page(
            info,
            FEEDBACK_MODEL,
            "user_id",
            self.pk,
            Feedback.from_row,
            first=first,
            after=after,
            first_pages=loaders.feedback_first_page_by_user_id,
            counts=loaders.feedback_count_by_user_id,
        )


@strawberry.type(description="Something a user told us: a bug, an idea, praise.")
class Feedback(Node):
    pk: strawberry.Private[uuid.UUID]
    user_pk: strawberry.Private[uuid.UUID]
    kind: FeedbackKind
    message: str
    rating: int | None = strawberry.field(description="1–5, if given.")
    page: str | None = strawberry.field(description="Where in the product it was sent from.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Feedback:
        return cls(
            id=strawberry.ID(encode("fbk", row.id)),
            pk=row.id,
            user_pk=row.user_id,
            kind=row.kind,
            message=row.message,
            rating=row.rating,
            page=row.page,
            created_at=row.created_at,
        )

    preloads: ClassVar[Mapping[str, Preload]] = {"user": Preload("user_by_id", "user_pk")}

    @strawberry.field
    def user(self, info: Info) -> User | None:
        return relation(self, "user", info)  # type: ignore[no-any-return]


@strawberry.type(description="A note staff wrote about a user.")
class UserNote(Node):
    pk: strawberry.Private[uuid.UUID]
    category: NoteCategory
    body: str
    author_id: str | None = strawberry.field(
        description="Public id of the key or user who wrote it."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> UserNote:
        return cls(
            id=strawberry.ID(encode("not", row.id)),
            pk=row.id,
            category=row.category,
            body=row.body,
            author_id=row.author_id,
            created_at=row.created_at,
        )


async def _fetch_user(info: Info, pk: uuid.UUID) -> User | None:
    user: User | None = await info.context.loaders.user_by_id.load(pk)
    return user


async def _fetch_note(info: Info, pk: uuid.UUID) -> UserNote | None:
    # Notes and feedback are staff-only: the read model's scope leaves a session admin nothing.
    statement = NOTE_MODEL.by_keys_statement("id", [pk], info.context.scope)
    rows = await info.context.reader.all(statement)
    return UserNote.from_row(rows[0]) if rows else None


async def _fetch_feedback(info: Info, pk: uuid.UUID) -> Feedback | None:
    statement = FEEDBACK_MODEL.by_keys_statement("id", [pk], info.context.scope)
    rows = await info.context.reader.all(statement)
    return Feedback.from_row(rows[0]) if rows else None


register_node("usr", _fetch_user)
# Idempotent replays resolve the objects of a stored payload by id, so every kind a payload
# returns needs a fetcher (`userNoteCreate` returns a note); `node(id:)` resolves them too.
register_node("not", _fetch_note)
register_node("fbk", _fetch_feedback)
