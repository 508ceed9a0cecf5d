"""GraphQL types of the users domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.audit.repository import AUDIT_EVENT_MODEL
from app.graphql.audit.dataloaders import (
    ActivityCountByUserIdLoader,
    ActivityFirstPageByUserIdLoader,
)
from app.graphql.audit.types import AuditEvent
from app.graphql.auth.types import Session
from app.graphql.context import Info
from app.graphql.customers.types import Membership
from app.graphql.model_types import ModelObject, model_type, related_page
from app.graphql.node import Node
from app.graphql.pagination import Connection, connection_from_rows, paginate
from app.graphql.preload import related
from app.graphql.scalars import JSON
from app.kit.pagination import check_page_size
from app.models import FeedbackKind, NoteCategory, UserStatus
from app.users.repository import FEEDBACK_MODEL, NOTE_MODEL, USER_MODEL

if TYPE_CHECKING:
    from app.graphql.usage.types import UsageDay

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


@model_type(USER_MODEL, description="A person who uses the product.")
class User(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    name: str
    status: UserStatus = strawberry.field(
        description="Effective status: a suspension whose end has passed reads ACTIVE."
    )
    created_at: datetime
    last_seen_at: datetime | None
    is_staff: bool | None
    metadata: JSON | None = strawberry.field(description="Free-form JSON kept by operators.")
    suspension: UserSuspension | None = strawberry.field(
        description="Set while the user is suspended."
    )
    block: UserBlock | None = strawberry.field(description="Set while the user is blocked.")

    @strawberry.field(description="The customers this user belongs to, with the role in each.")
    def memberships(self, info: Info) -> list[Membership]:
        return related(self, info, "memberships")  # type: ignore[no-any-return]

    @strawberry.field(
        description="Daily usage per metric over [from, to] (inclusive UTC dates, at most 366 "
        "days; default the current month) across the customers this user is a member of (any "
        "role; only those the caller may see), combined as `usageDaily` combines customers."
    )
    async def daily(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        metric: str | None = None,
    ) -> list[Annotated[UsageDay, strawberry.lazy("app.graphql.usage.types")]]:
        from app.graphql.usage.types import UsageDay, UsageDaysByUserIdLoader
        from app.usage import figures

        start, end = figures.checked_range(from_, to)
        loader = info.context.loader(UsageDaysByUserIdLoader, start, end, metric)
        days = await loader.load(self.pk)
        return [UsageDay.of(day) for day in days]

    @strawberry.field(description="How many admin notes exist.")
    def notes_count(self, info: Info) -> int | None:
        return related(self, info, "notesCount")  # type: ignore[no-any-return]

    @strawberry.field(description="Admin notes, newest first.")
    async def notes(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[UserNote] | None:
        return await related_page(self, info, "notes", first=first, after=after)

    @strawberry.field(description="Live login and impersonation sessions.")
    def sessions(self, info: Info) -> list[Session] | None:
        return related(self, info, "sessions")  # type: ignore[no-any-return]

    @strawberry.field(
        description="Audit events where this user is the target or the actor, newest first."
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
        rows = await info.context.loader(ActivityFirstPageByUserIdLoader).load((subject, size))
        counts = info.context.loader(ActivityCountByUserIdLoader)

        async def count() -> int:
            total: int = await counts.load(subject)
            return total

        kind = AUDIT_EVENT_MODEL.cursor_kind("SEQ", True)
        return connection_from_rows(rows, size, kind, AuditEvent.from_row, count)

    @strawberry.field(description="Feedback the user sent, newest first.")
    async def feedback(
        self, info: Info, first: int | None = 10, after: str | None = None
    ) -> Connection[Feedback] | None:
        return await related_page(self, info, "feedback", first=first, after=after)


@model_type(FEEDBACK_MODEL, description="Something a user told us: a bug, an idea, praise.")
class Feedback(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    kind: FeedbackKind
    message: str
    rating: int | None = strawberry.field(description="1–5, if given.")
    page: str | None = strawberry.field(description="Where in the product it was sent from.")
    created_at: datetime

    @strawberry.field
    def user(self, info: Info) -> User | None:
        return related(self, info, "user")  # type: ignore[no-any-return]


@model_type(NOTE_MODEL, description="A note staff wrote about a user.")
class UserNote(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    category: NoteCategory
    body: str
    author_id: str | None = strawberry.field(
        description="Public id of the key or user who wrote it."
    )
    created_at: datetime
