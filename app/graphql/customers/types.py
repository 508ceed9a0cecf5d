"""GraphQL types of the customers domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.customers.repository import MEMBERSHIP_MODEL
from app.graphql.billing.types import Plan
from app.graphql.context import Info
from app.graphql.node import Node, register_node
from app.graphql.pagination import Connection, nested_page
from app.kit.ids import encode
from app.models import CustomerStatus, MemberRole

if TYPE_CHECKING:
    from app.graphql.users.types import User

CustomerStatusEnum = strawberry.enum(CustomerStatus, name="CustomerStatus")
MemberRoleEnum = strawberry.enum(MemberRole, name="MemberRole")


@strawberry.type(description="A tenant account: the customer that pays and whose members use it.")
class Customer(Node):
    pk: strawberry.Private[uuid.UUID]
    plan_pk: strawberry.Private[uuid.UUID | None]
    slug: str
    name: str
    status: CustomerStatus
    billing_email: str
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Customer:
        return cls(
            id=strawberry.ID(encode("cus", row.id)),
            pk=row.id,
            plan_pk=row.plan_id,
            slug=row.slug,
            name=row.name,
            status=row.status,
            billing_email=row.billing_email,
            created_at=row.created_at,
            updated_at=row.updated_at,
            deactivated_at=row.deactivated_at,
        )

    @strawberry.field(description="The plan the customer is on, if any.")
    async def plan(self, info: Info) -> Plan | None:
        if self.plan_pk is None:
            return None
        plan: Plan | None = await info.context.loaders.plan_by_id.load(self.plan_pk)
        return plan

    @strawberry.field(description="Members of this customer, newest first.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        loaders = info.context.loaders
        return await nested_page(
            info,
            MEMBERSHIP_MODEL,
            "customer_id",
            self.pk,
            Membership.from_row,
            first=first,
            after=after,
            first_pages=loaders.members_first_page_by_customer_id,
            counts=loaders.members_count_by_customer_id,
        )


@strawberry.type(description="A user's role in a customer.")
class Membership(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    user_pk: strawberry.Private[uuid.UUID]
    role: MemberRole
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Membership:
        return cls(
            id=strawberry.ID(encode("mem", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            user_pk=row.user_id,
            role=row.role,
            created_at=row.created_at,
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        customer: Customer | None = await info.context.loaders.customer_by_id.load(self.customer_pk)
        return customer

    @strawberry.field
    async def user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("app.graphql.users.types")] | None:
        user: User | None = await info.context.loaders.user_by_id.load(self.user_pk)
        return user


async def _fetch_customer(info: Info, pk: uuid.UUID) -> Customer | None:
    customer: Customer | None = await info.context.loaders.customer_by_id.load(pk)
    return customer


async def _fetch_membership(info: Info, pk: uuid.UUID) -> Membership | None:
    membership: Membership | None = await info.context.loaders.membership_by_id.load(pk)
    return membership


register_node("cus", _fetch_customer)
register_node("mem", _fetch_membership)
