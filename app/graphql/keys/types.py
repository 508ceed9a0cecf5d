"""GraphQL types of the API keys domain."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.graphql.projects.types import Project
from app.keys.repository import API_KEY_MODEL
from app.models.keys import KeyEnvironment, KeyStatus

KeyEnvironmentEnum = strawberry.enum(
    KeyEnvironment,
    name="ApiKeyEnvironment",
    description="LIVE keys read `ak_live_…`, TEST keys `ak_test_…`.",
)
KeyStatusEnum = strawberry.enum(
    KeyStatus,
    name="ApiKeyStatus",
    description="Derived: REVOKED once revoked (a rotated key after its grace period), "
    "EXPIRED past its expiry.",
)


@model_type(
    API_KEY_MODEL,
    description="An API key of a customer (optionally of one of its projects). Its secret is "
    "shown once, when issued; only its first characters (`start`) are kept for display.",
)
class ApiKey(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    start: str = strawberry.field(description="The first characters of the secret.")
    environment: KeyEnvironment
    scopes: list[str]
    status: KeyStatus
    enabled: bool = strawberry.field(
        description="False while its customer is deactivated (verification answers DISABLED)."
    )
    created_by: str | None = strawberry.field(
        description="Public id of the key or user who created it."
    )
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When it last verified VALID (written behind, within a few seconds)."
    )
    expires_at: datetime | None
    revoked_at: datetime | None = strawberry.field(
        description="When revocation takes effect (a rotation's grace period ends then)."
    )
    revoked_reason: str | None
    replaced_by_id: strawberry.ID | None = strawberry.field(
        description="The key that replaced this one when it was rotated."
    )
    plan_code: str | None = strawberry.field(description="The plan whose limits it carries.")
    rate_per_second: int | None = strawberry.field(
        description="Verifications per second of its customer (null: unlimited)."
    )
    monthly_quota: int | None = strawberry.field(
        description="Verifications per 30 days of its customer (null: unlimited)."
    )

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field
    def project(self, info: Info) -> Project | None:
        return related(self, info, "project")  # type: ignore[no-any-return]
