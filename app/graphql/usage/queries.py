"""Usage queries: metrics, the aggregator, daily figures, the event stream, the diagnostic."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date, timedelta
from typing import Annotated

import sqlalchemy as sa
import strawberry

from app.graphql.context import Info
from app.graphql.node import parse_id
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.graphql.usage.types import (
    CustomerUsageDaily,
    UsageAggregator,
    UsageDay,
    UsageDiagnostic,
    UsageEvent,
    UsageEventConnection,
    UsageEventEdge,
    UsageEventPageInfo,
    UsageMetric,
    UsageMetricCheck,
    event_cursor,
)
from app.kit import clock
from app.kit.errors import ErrorCode, RequestError
from app.kit.ids import encode
from app.kit.pagination import MAX_PAGE_SIZE
from app.models.customers import Customer
from app.models.projects import Project
from app.models.usage import USAGE_METRICS
from app.usage import aggregator, buckets, figures
from app.usage.repository import events_statement

DEFAULT_PAGE = 50


def _customer(value: strawberry.ID | None, argument: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, Customer.PREFIX, argument)


def _project(value: strawberry.ID | None, argument: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, Project.PREFIX, argument)


@query(authenticated, "The declared usage metrics, by code.")
async def usage_metrics(info: Info) -> list[UsageMetric]:
    rows = await info.context.reader.all(sa.select(USAGE_METRICS).order_by(USAGE_METRICS.c.code))
    return [UsageMetric.from_row(row) for row in rows]


@query(master_only, "The usage aggregator's telemetry (this process).")
async def usage_aggregator(info: Info) -> UsageAggregator | None:
    pending, lag = await aggregator.pending(info.context.db)
    return UsageAggregator.of(aggregator.TELEMETRY, pending, lag)


@query(
    authenticated,
    "Daily usage per metric over [from, to] (inclusive UTC dates, at most 366 days), from "
    "the daily rollups; session admins see their customers' only.",
)
async def usage_daily(
    info: Info,
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
    customer_id: strawberry.ID | None = None,
    project_id: strawberry.ID | None = None,
    metric: str | None = None,
) -> list[UsageDay]:
    start, end = figures.checked_range(from_, to)
    customer = _customer(customer_id, "customerId")
    days = await figures.daily(
        info.context.reader,
        info.context.row_scope,
        start,
        end,
        customer_ids=None if customer is None else [customer],
        project_id=_project(project_id, "projectId"),
        metric=metric,
    )
    return [UsageDay.of(day) for day in days]


@query(
    authenticated,
    "The daily usage series of each of the caller's customers (a session admin's own; for a "
    "master, the customers given) over [from, to] (default the current month).",
)
async def my_daily(
    info: Info,
    from_: Annotated[date | None, strawberry.argument(name="from")] = None,
    to: date | None = None,
    metric: str | None = None,
    customer_ids: list[strawberry.ID] | None = None,
) -> list[CustomerUsageDaily]:
    start, end = figures.checked_range(from_, to)
    scope = info.context.row_scope
    if customer_ids is not None:
        wanted = [parse_id(value, Customer.PREFIX, "customerIds") for value in customer_ids]
        if scope.customer_ids is not None:
            wanted = [c for c in wanted if c in scope.customer_ids]
    else:
        wanted = sorted(scope.customer_ids or ())
    series = await figures.daily_by_customer(info.context.reader, scope, start, end, wanted, metric)
    return [
        CustomerUsageDaily(
            customer_id=strawberry.ID(encode(Customer.PREFIX, customer_id)),
            days=[UsageDay.of(day) for day in days],
        )
        for customer_id, days in series.items()
    ]


@strawberry.input
class UsageEventFilter:
    customer_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    metric: str | None = None
    from_: date | None = strawberry.field(name="from", default=None)
    to: date | None = strawberry.field(default=None, description="Inclusive.")


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, seq = text.partition(":")
        if kind != "usage":
            raise ValueError(kind)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise RequestError(
            "`after` is not a usage event cursor.", ErrorCode.INVALID_CURSOR
        ) from None


@query(
    authenticated,
    "Stored usage events in storage order after a cursor (a stream: follow `endCursor`); "
    "session admins see their customers' only.",
)
async def usage_events(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: UsageEventFilter | None = None,
) -> UsageEventConnection:
    given = filter or UsageEventFilter()
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise RequestError(f"`first` is between 0 and {MAX_PAGE_SIZE}.", ErrorCode.BAD_USER_INPUT)
    seq = _after(after)
    start = None if given.from_ is None else buckets.midnight(given.from_)
    end = None
    if given.to is not None:
        end = buckets.midnight(given.to) + timedelta(days=1)
    rows = await info.context.reader.all(
        events_statement(
            info.context.row_scope,
            after_seq=seq,
            limit=size + 1,
            customer_id=_customer(given.customer_id, "filter.customerId"),
            project_id=_project(given.project_id, "filter.projectId"),
            metric=given.metric,
            start=start,
            end=end,
        )
    )
    page = rows[:size]
    edges = [
        UsageEventEdge(cursor=event_cursor(row.seq), node=UsageEvent.from_row(row)) for row in page
    ]
    end_cursor = edges[-1].cursor if edges else after
    return UsageEventConnection(
        edges=edges,
        page_info=UsageEventPageInfo(has_next_page=len(rows) > size, end_cursor=end_cursor),
    )


@query(
    master_only,
    "A customer's day (UTC) of raw usage events compared with its daily rollup, per metric.",
)
async def usage_diagnostic(
    info: Info, customer_id: strawberry.ID, date: date | None = None
) -> UsageDiagnostic | None:
    customer = parse_id(customer_id, Customer.PREFIX, "customerId")
    day = date or clock.now().date()
    checks = await figures.diagnostic(info.context.reader, info.context.row_scope, customer, day)
    differences = []
    for check in checks:
        if check.raw_events != check.rollup_events:
            differences.append(
                f"{check.metric}: {check.raw_events} raw events, "
                f"{check.rollup_events} in the rollup"
            )
        if check.raw_quantity != check.rollup_quantity:
            differences.append(
                f"{check.metric}: raw quantity {check.raw_quantity}, "
                f"rollup quantity {check.rollup_quantity}"
            )
        if check.pending_events:
            differences.append(f"{check.metric}: {check.pending_events} events not rolled up yet")
    return UsageDiagnostic(
        customer_id=customer_id,
        date=day,
        matches=not differences,
        differences=differences,
        metrics=[UsageMetricCheck.of(check) for check in checks],
    )
