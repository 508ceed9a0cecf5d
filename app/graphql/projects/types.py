"""GraphQL types of the projects domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import ModelObject, model_type, related_page
from app.graphql.node import Node
from app.graphql.pagination import Connection
from app.graphql.preload import related
from app.models.keys import KeyStatus
from app.projects.repository import PROJECT_MODEL

if TYPE_CHECKING:
    from app.graphql.keys.types import ApiKey
    from app.graphql.licenses.types import SigningKey


@model_type(
    PROJECT_MODEL, description="A customer's project: what its API keys and usage belong to."
)
class Project(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    slug: str = strawberry.field(description="Unique within the customer.")
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field(description="API keys of this project, newest first.")
    async def api_keys(
        self,
        info: Info,
        status: KeyStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[ApiKey, strawberry.lazy("app.graphql.keys.types")]]:
        return await related_page(self, info, "apiKeys", first=first, after=after, status=status)

    @strawberry.field(description="This project's own signing keys, newest first (masters).")
    async def signing_keys(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[SigningKey, strawberry.lazy("app.graphql.licenses.types")]] | None:
        return await related_page(self, info, "signingKeys", first=first, after=after)
