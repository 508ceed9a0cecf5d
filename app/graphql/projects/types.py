"""GraphQL types of the projects domain."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.projects.repository import PROJECT_MODEL


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
