"""User queries."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, OrderDirection, paginate
from app.graphql.permissions import authenticated
from app.graphql.users.types import User
from app.kit.pagination import check_search
from app.models import UserStatus
from app.users.repository import USER_MODEL


@strawberry.input
class UserFilter:
    status: UserStatus | None = None
    plan_code: str | None = strawberry.field(
        default=None, description="Users belonging to a customer on this plan."
    )
    customer_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the email or name (≤ 100 characters)."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class UserOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    EMAIL = "EMAIL"
    LAST_SEEN_AT = "LAST_SEEN_AT"


@strawberry.input
class UserOrder:
    field: UserOrderField = UserOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.type
class UsersQuery:
    @strawberry.field(
        extensions=authenticated(),
        description="Users in the caller's scope (session admins: members of their customers).",
    )
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: UserFilter | None = None,
        order_by: UserOrder | None = None,
    ) -> Connection[User]:
        given = filter or UserFilter()
        order = order_by or UserOrder()
        return await paginate(
            info,
            USER_MODEL,
            User.from_row,
            first=first,
            after=after,
            filters={
                "status": given.status,
                "plan_code": given.plan_code,
                "customer_id": (
                    parse_id(given.customer_id, "cus", "filter.customerId")
                    if given.customer_id is not None
                    else None
                ),
                "search": check_search(given.search),
                "created_after": given.created_after,
                "created_before": given.created_before,
            },
            ordering=order.field.value,
            direction=order.direction,
        )

    @strawberry.field(
        extensions=authenticated(),
        description="One user; null when absent or outside the caller's scope.",
    )
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found: User | None = await info.context.loaders.user_by_id.load(parse_id(id, "usr"))
        return found
