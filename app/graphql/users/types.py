"""GraphQL types of the users domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Membership
from app.graphql.node import Node, register_node
from app.graphql.pagination import Connection, nested_page
from app.graphql.permissions import master_only
from app.kit import clock
from app.kit.ids import encode
from app.models import NoteCategory, UserStatus
from app.models.users import effective_status
from app.users.repository import NOTE_MODEL

UserStatusEnum = strawberry.enum(UserStatus, name="UserStatus")
NoteCategoryEnum = strawberry.enum(NoteCategory, name="NoteCategory")


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

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=strawberry.ID(encode("usr", row.id)),
            pk=row.id,
            email=row.email,
            name=row.name,
            status=effective_status(row.status, row.suspended_until, clock.now()),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            is_staff=row.is_staff,
        )

    @strawberry.field(description="The customers this user belongs to, with the role in each.")
    async def memberships(self, info: Info) -> list[Membership]:
        found: list[Membership] = await info.context.loaders.memberships_by_user_id.load(self.pk)
        return found

    @strawberry.field(extensions=master_only(), description="How many admin notes exist.")
    async def notes_count(self, info: Info) -> int | None:
        count: int = await info.context.loaders.notes_count_by_user_id.load(self.pk)
        return count

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


register_node("usr", _fetch_user)
