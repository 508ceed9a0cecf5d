"""GraphQL types of the customers domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.customers.repository import (
    CUSTOMER_MODEL,
    CUSTOMER_NOTE_MODEL,
    INVITATION_MODEL,
    MEMBERSHIP_MODEL,
)
from app.graphql.billing.types import Plan
from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type, related_page
from app.graphql.node import Node
from app.graphql.pagination import Connection
from app.graphql.preload import related
from app.kit.pagination import check_search
from app.models import CustomerStatus, InvitationStatus, MemberRole

if TYPE_CHECKING:
    from app.graphql.projects.types import Project
    from app.graphql.users.types import User
    from app.graphql.webhooks.types import WebhookEndpoint

CustomerStatusEnum = strawberry.enum(CustomerStatus, name="CustomerStatus")
MemberRoleEnum = strawberry.enum(MemberRole, name="MemberRole")
InvitationStatusEnum = strawberry.enum(
    InvitationStatus,
    name="InvitationStatus",
    description="Derived: a PENDING invitation past its expiry reads EXPIRED.",
)


@model_type(
    CUSTOMER_MODEL,
    description="A tenant account: the customer that pays and whose members use it.",
)
class Customer(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    slug: str
    name: str
    status: CustomerStatus
    billing_email: str
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivation_reason: str | None = strawberry.field(description="Why it was deactivated.")

    @strawberry.field(description="The plan the customer is on, if any.")
    def plan(self, info: Info) -> Plan | None:
        return related(self, info, "plan")  # type: ignore[no-any-return]

    @strawberry.field(description="Members of this customer, newest first.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        return await related_page(self, info, "members", first=first, after=after)

    @strawberry.field(description="Invitations to this customer, newest first.")
    async def invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: InvitationStatus | None = None,
    ) -> Connection[Invitation]:
        return await related_page(
            self, info, "invitations", first=first, after=after, status=status
        )

    @strawberry.field(description="Projects of this customer, newest first.")
    async def projects(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the name or slug (≤ 100 characters)."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[Project, strawberry.lazy("app.graphql.projects.types")]]:
        return await related_page(
            self, info, "projects", first=first, after=after, search=check_search(search)
        )

    @strawberry.field(description="Webhook endpoints of this customer, newest first.")
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[WebhookEndpoint, strawberry.lazy("app.graphql.webhooks.types")]]:
        return await related_page(self, info, "webhookEndpoints", first=first, after=after)

    @strawberry.field(description="Staff notes, newest first.")
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerNote] | None:
        return await related_page(self, info, "notes", first=first, after=after)


@model_type(MEMBERSHIP_MODEL, description="A user's role in a customer.")
class Membership(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    role: MemberRole
    created_at: datetime

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field
    def user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("app.graphql.users.types")] | None:
        return related(self, info, "user")  # type: ignore[no-any-return]


@model_type(INVITATION_MODEL, description="An emailed offer to join a customer with a role.")
class Invitation(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    role: MemberRole
    status: InvitationStatus
    invited_by: str | None = strawberry.field(
        description="Public id of the key or user who sent it."
    )
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]


@model_type(CUSTOMER_NOTE_MODEL, description="A note staff wrote about a customer.")
class CustomerNote(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    body: str
    author_id: str | None = strawberry.field(
        description="Public id of the key or user who wrote it."
    )
    created_at: datetime
