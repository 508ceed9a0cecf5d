"""Customer queries."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.customers.repository import CUSTOMER_MODEL, INVITATION_MODEL
from app.graphql.context import Info
from app.graphql.customers.types import Customer, Invitation
from app.graphql.model_types import by_id_loader
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, OrderDirection, paginate
from app.graphql.permissions import authenticated
from app.graphql.root import query
from app.kit.errors import ErrorCode, RequestError
from app.kit.pagination import check_search
from app.models import CustomerStatus, InvitationStatus


@strawberry.input
class CustomerFilter:
    status: CustomerStatus | None = None
    plan_code: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name, slug or billing email (≤ 100 characters)."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class CustomerOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    NAME = "NAME"
    SLUG = "SLUG"


@strawberry.input
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class InvitationFilter:
    customer_id: strawberry.ID | None = None
    status: InvitationStatus | None = None


@query(authenticated, "Customers in the caller's scope (a session admin sees only their own).")
async def customers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: CustomerFilter | None = None,
    order_by: CustomerOrder | None = None,
) -> Connection[Customer]:
    given = filter or CustomerFilter()
    order = order_by or CustomerOrder()
    return await paginate(
        info,
        CUSTOMER_MODEL,
        Customer.from_row,
        first=first,
        after=after,
        filters={
            "status": given.status,
            "plan_code": given.plan_code,
            "search": check_search(given.search),
            "created_after": given.created_after,
            "created_before": given.created_before,
        },
        ordering=order.field.value,
        direction=order.direction,
    )


@query(authenticated, "One customer by id or slug; null when absent or outside the caller's scope.")
async def customer(
    info: Info, id: strawberry.ID | None = None, slug: str | None = None
) -> Customer | None:
    if (id is None) == (slug is None):
        raise RequestError("Give exactly one of `id` or `slug`.", ErrorCode.BAD_USER_INPUT)
    if id is not None:
        found: Customer | None = await by_id_loader(info, CUSTOMER_MODEL).load(
            parse_id(id, CUSTOMER_MODEL.prefix)
        )
        return found
    assert slug is not None
    rows = await info.context.reader.all(
        CUSTOMER_MODEL.by_keys_statement("slug", [slug.strip().lower()], info.context.row_scope)
    )
    return Customer.from_row(rows[0]) if rows else None


@query(authenticated, "Invitations, newest first; session admins see their customers' only.")
async def invitations(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: InvitationFilter | None = None,
) -> Connection[Invitation]:
    given = filter or InvitationFilter()
    customer_id = (
        parse_id(given.customer_id, Customer.PREFIX, "filter.customerId")
        if given.customer_id is not None
        else None
    )
    return await paginate(
        info,
        INVITATION_MODEL,
        Invitation.from_row,
        first=first,
        after=after,
        filters={"customer_id": customer_id, "status": given.status},
    )
