"""GraphQL types of the customers domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import strawberry

from app.customers.repository import (
    CUSTOMER_NOTE_MODEL,
    INVITATION_MODEL,
    MEMBERSHIP_MODEL,
    PROJECT_MODEL,
    invitation_status,
)
from app.graphql.billing.types import Plan
from app.graphql.context import Info
from app.graphql.node import Node, register_node
from app.graphql.pagination import Connection, nested_page
from app.graphql.permissions import master_only
from app.graphql.preload import Preload, relation
from app.kit import clock
from app.kit.ids import encode
from app.kit.pagination import check_search
from app.models import CustomerStatus, InvitationStatus, MemberRole

if TYPE_CHECKING:
    from app.graphql.users.types import User

CustomerStatusEnum = strawberry.enum(CustomerStatus, name="CustomerStatus")
MemberRoleEnum = strawberry.enum(MemberRole, name="MemberRole")
InvitationStatusEnum = strawberry.enum(
    InvitationStatus,
    name="InvitationStatus",
    description="Derived: a PENDING invitation past its expiry reads EXPIRED.",
)

NodeT = TypeVar("NodeT")


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
    deactivation_reason: str | None = strawberry.field(
        extensions=master_only(), description="Why it was deactivated."
    )

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
            deactivation_reason=row.deactivation_reason,
        )

    preloads: ClassVar[Mapping[str, Preload]] = {"plan": Preload("plan_by_id", "plan_pk")}

    @strawberry.field(description="The plan the customer is on, if any.")
    def plan(self, info: Info) -> Plan | None:
        return relation(self, "plan", info)  # type: ignore[no-any-return]

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

    @strawberry.field(description="Invitations to this customer, newest first.")
    async def invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: InvitationStatus | None = None,
    ) -> Connection[Invitation]:
        loaders = info.context.loaders
        return await nested_page(
            info,
            INVITATION_MODEL,
            "customer_id",
            self.pk,
            Invitation.from_row,
            first=first,
            after=after,
            first_pages=loaders.invitations_first_page_by_customer_id,
            counts=loaders.invitations_count_by_customer_id,
            filters={"status": status},
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
    ) -> Connection[Project]:
        loaders = info.context.loaders
        return await nested_page(
            info,
            PROJECT_MODEL,
            "customer_id",
            self.pk,
            Project.from_row,
            first=first,
            after=after,
            first_pages=loaders.projects_first_page_by_customer_id,
            counts=loaders.projects_count_by_customer_id,
            filters={"search": check_search(search)},
        )

    @strawberry.field(extensions=master_only(), description="Staff notes, newest first.")
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerNote] | None:
        loaders = info.context.loaders
        return await nested_page(
            info,
            CUSTOMER_NOTE_MODEL,
            "customer_id",
            self.pk,
            CustomerNote.from_row,
            first=first,
            after=after,
            first_pages=loaders.customer_notes_first_page_by_customer_id,
            counts=loaders.customer_notes_count_by_customer_id,
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

    preloads: ClassVar[Mapping[str, Preload]] = {
        "customer": Preload("customer_by_id", "customer_pk"),
        "user": Preload("user_by_id", "user_pk"),
    }

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return relation(self, "customer", info)  # type: ignore[no-any-return]

    @strawberry.field
    def user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("app.graphql.users.types")] | None:
        return relation(self, "user", info)  # type: ignore[no-any-return]


@strawberry.type(description="An emailed offer to join a customer with a role.")
class Invitation(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
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

    @classmethod
    def from_row(cls, row: Any) -> Invitation:
        return cls(
            id=strawberry.ID(encode("inv", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            email=row.email,
            role=row.role,
            status=invitation_status(row, clock.now()),
            invited_by=row.invited_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            revoked_at=row.revoked_at,
        )

    preloads: ClassVar[Mapping[str, Preload]] = {
        "customer": Preload("customer_by_id", "customer_pk")
    }

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return relation(self, "customer", info)  # type: ignore[no-any-return]


@strawberry.type(description="A customer's project: what its API keys and usage belong to.")
class Project(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    name: str
    slug: str = strawberry.field(description="Unique within the customer.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Project:
        return cls(
            id=strawberry.ID(encode("prj", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            name=row.name,
            slug=row.slug,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    preloads: ClassVar[Mapping[str, Preload]] = {
        "customer": Preload("customer_by_id", "customer_pk")
    }

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return relation(self, "customer", info)  # type: ignore[no-any-return]


@strawberry.type(description="A note staff wrote about a customer.")
class CustomerNote(Node):
    pk: strawberry.Private[uuid.UUID]
    body: str
    author_id: str | None = strawberry.field(
        description="Public id of the key or user who wrote it."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CustomerNote:
        return cls(
            id=strawberry.ID(encode("cno", row.id)),
            pk=row.id,
            body=row.body,
            author_id=row.author_id,
            created_at=row.created_at,
        )


async def _fetch_customer(info: Info, pk: uuid.UUID) -> Customer | None:
    customer: Customer | None = await info.context.loaders.customer_by_id.load(pk)
    return customer


async def _fetch_membership(info: Info, pk: uuid.UUID) -> Membership | None:
    membership: Membership | None = await info.context.loaders.membership_by_id.load(pk)
    return membership


async def _fetch_invitation(info: Info, pk: uuid.UUID) -> Invitation | None:
    invitation: Invitation | None = await info.context.loaders.invitation_by_id.load(pk)
    return invitation


async def _fetch_project(info: Info, pk: uuid.UUID) -> Project | None:
    project: Project | None = await info.context.loaders.project_by_id.load(pk)
    return project


async def _fetch_customer_note(info: Info, pk: uuid.UUID) -> CustomerNote | None:
    note: CustomerNote | None = await info.context.loaders.customer_note_by_id.load(pk)
    return note


register_node("cus", _fetch_customer)
register_node("mem", _fetch_membership)
register_node("inv", _fetch_invitation)
register_node("prj", _fetch_project)
register_node("cno", _fetch_customer_note)
