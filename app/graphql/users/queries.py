"""User queries."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.model_types import by_id_loader
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, OrderDirection, paginate
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.graphql.users.types import Feedback, User
from app.kit import clock
from app.kit.errors import ErrorCode, RequestError
from app.kit.pagination import check_search
from app.models import FeedbackKind, UserStatus
from app.models.customers import Customer
from app.users.repository import (
    FEEDBACK_MODEL,
    USER_MODEL,
    signups_by_day,
    stats_statements,
)


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
class StatusCount:
    status: UserStatus
    count: int


@strawberry.type
class PlanCount:
    plan_code: str
    count: int


@strawberry.type
class DayCount:
    day: date
    count: int


MAX_STATS_DAYS = 366


@strawberry.type(description="How many users there are, by status and by plan.")
class UserStats:
    total: int
    by_status: list[StatusCount]
    by_plan: list[PlanCount] = strawberry.field(
        description="Users belonging to a customer on each plan (a user counts once per plan)."
    )
    new_last_30_days: int

    @strawberry.field(description="Sign-ups per UTC day over the last `days` days (≤ 366).")
    async def signups_by_day(self, info: Info, days: int = 30) -> list[DayCount]:
        if not 1 <= days <= MAX_STATS_DAYS:
            raise RequestError(
                f"`days` must be between 1 and {MAX_STATS_DAYS}.", ErrorCode.BAD_USER_INPUT
            )
        counts = await signups_by_day(info.context.reader, clock.now().date(), days)
        return [DayCount(day=day, count=count) for day, count in counts]


@strawberry.input
class FeedbackFilter:
    user_id: strawberry.ID | None = None
    kind: FeedbackKind | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")


@query(authenticated, "Users in the caller's scope (session admins: members of their customers).")
async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: UserFilter | None = None,
    order_by: UserOrder | None = None,
) -> Connection[User]:
    order = order_by or UserOrder()
    return await paginate(
        info,
        USER_MODEL,
        User.from_row,
        first=first,
        after=after,
        filters=user_filters(filter or UserFilter()),
        ordering=order.field.value,
        direction=order.direction,
    )


def user_filters(given: UserFilter) -> dict[str, Any]:
    """The read model's filter values from `users(filter:)` (raises on a bad id or search)."""
    return {
        "status": given.status,
        "plan_code": given.plan_code,
        "customer_id": (
            parse_id(given.customer_id, Customer.PREFIX, "filter.customerId")
            if given.customer_id is not None
            else None
        ),
        "search": check_search(given.search),
        "created_after": given.created_after,
        "created_before": given.created_before,
    }


@query(authenticated, "One user; null when absent or outside the caller's scope.")
async def user(info: Info, id: strawberry.ID) -> User | None:
    found: User | None = await by_id_loader(info, USER_MODEL).load(parse_id(id, USER_MODEL.prefix))
    return found


@query(master_only, "Counts of users for dashboards.")
async def user_stats(info: Info) -> UserStats | None:
    reader = info.context.reader
    by_status_statement, by_plan_statement, recent_statement = stats_statements(clock.now())
    rows = await reader.all(by_status_statement)
    by_status = {row.status: int(row._mapping["count"]) for row in rows}
    by_plan = await reader.all(by_plan_statement)
    return UserStats(
        total=sum(by_status.values()),
        by_status=[
            StatusCount(status=status, count=by_status.get(status.value, 0))
            for status in UserStatus
        ],
        by_plan=[
            PlanCount(plan_code=row.code, count=int(row._mapping["count"])) for row in by_plan
        ],
        new_last_30_days=int(await reader.scalar(recent_statement)),
    )


@query(master_only, "Feedback from users, newest first.")
async def feedback(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: FeedbackFilter | None = None,
) -> Connection[Feedback] | None:
    given = filter or FeedbackFilter()
    return await paginate(
        info,
        FEEDBACK_MODEL,
        Feedback.from_row,
        first=first,
        after=after,
        filters={
            "user_id": parse_id(given.user_id, User.PREFIX, "filter.userId")
            if given.user_id is not None
            else None,
            "kind": given.kind,
            "from_": given.from_,
            "to": given.to,
        },
    )
