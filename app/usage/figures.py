"""Usage figures read from the rollups: daily series, ranges, and the diagnostic of a day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Reader
from app.kit import clock, ranges
from app.kit.readmodel import within
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.usage import USAGE_EVENTS, USAGE_METRICS, USAGE_ROLLUPS, Aggregation, Granularity
from app.usage import buckets
from app.usage.repository import daily_statement


@dataclass(frozen=True, slots=True)
class Day:
    date: date
    metric: str
    quantity: int


def checked_range(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """[start, end) as times from inclusive dates (default: the current UTC month), checked
    by the one range rule (`app/kit/ranges.py`)."""
    now = clock.now()
    first = start or buckets.month_start(now).date()
    last = end or (buckets.next_month_start(now) - timedelta(days=1)).date()
    ranges.check(first, last)
    return buckets.midnight(first), buckets.midnight(last) + timedelta(days=1)


async def daily(
    reader: Reader,
    scope: RowScope,
    start: datetime,
    end: datetime,
    *,
    customer_ids: list[uuid.UUID] | None = None,
    project_id: uuid.UUID | None = None,
    metric: str | None = None,
) -> list[Day]:
    rows = await reader.all(
        daily_statement(
            scope, start, end, customer_ids=customer_ids, project_id=project_id, metric=metric
        )
    )
    return [Day(row.day.date(), row.metric, int(row.quantity)) for row in rows]


async def daily_by_customer(
    reader: Reader,
    scope: RowScope,
    start: datetime,
    end: datetime,
    customer_ids: list[uuid.UUID],
    metric: str | None = None,
) -> dict[uuid.UUID, list[Day]]:
    """The daily series of several customers in one statement."""
    rows = await reader.all(
        daily_statement(
            scope, start, end, customer_ids=customer_ids, metric=metric, per_customer=True
        )
    )
    found: dict[uuid.UUID, list[Day]] = {customer_id: [] for customer_id in customer_ids}
    for row in rows:
        found[row.customer_id].append(Day(row.day.date(), row.metric, int(row.quantity)))
    return found


async def daily_by_user(
    reader: Reader,
    scope: RowScope,
    start: datetime,
    end: datetime,
    user_ids: list[uuid.UUID],
    metric: str | None = None,
) -> dict[uuid.UUID, list[Day]]:
    """The daily series of several users in one statement: each over the customers they are
    members of (within the caller's scope), combined per day and metric as `daily` combines
    customers."""
    rows = await reader.all(daily_statement(scope, start, end, user_ids=user_ids, metric=metric))
    found: dict[uuid.UUID, list[Day]] = {user_id: [] for user_id in user_ids}
    for row in rows:
        found[row.user_id].append(Day(row.day.date(), row.metric, int(row.quantity)))
    return found


@dataclass(frozen=True, slots=True)
class MetricCheck:
    metric: str
    raw_events: int  # rolled-up raw events of the day still stored
    raw_quantity: int
    rollup_events: int
    rollup_quantity: int
    pending_events: int  # stored but not yet rolled up

    @property
    def matches(self) -> bool:
        return (self.raw_events, self.raw_quantity) == (self.rollup_events, self.rollup_quantity)


def _combine(aggregation: str, values: list[int]) -> int:
    if not values:
        return 0
    return max(values) if aggregation == Aggregation.MAX.value else sum(values)


async def diagnostic(
    reader: Reader, scope: RowScope, customer_id: uuid.UUID, day: date
) -> list[MetricCheck]:
    """Raw events of one customer's day against its daily rollup, per metric: each side
    aggregated in SQL per (metric, project), combined across projects by the metric's rule."""
    start = buckets.midnight(day)
    e, r, m = USAGE_EVENTS.c, USAGE_ROLLUPS.c, USAGE_METRICS.c
    rolled = e.flush_batch.is_not(None)
    raw = await reader.all(
        sa.select(
            m.code,
            m.aggregation,
            e.project_id,
            sa.func.count().filter(rolled).label("events"),
            sa.func.count().filter(e.flush_batch.is_(None)).label("pending"),
            sa.func.coalesce(sa.func.sum(e.quantity).filter(rolled), 0).label("total"),
            sa.func.coalesce(sa.func.max(e.quantity).filter(rolled), 0).label("largest"),
            sa.func.count(sa.distinct(e.unique_value)).filter(rolled).label("distinct"),
        )
        .select_from(USAGE_EVENTS.join(USAGE_METRICS, m.id == e.metric_id))
        .where(
            e.customer_id == customer_id,
            e.day_start == sa.literal(start, UTCDateTime()),
            *within(e.customer_id, scope),
        )
        .group_by(m.code, m.aggregation, e.project_id)
    )
    rollup = await reader.all(
        sa.select(m.code, m.aggregation, r.project_id, r.event_count, r.quantity)
        .select_from(USAGE_ROLLUPS.join(USAGE_METRICS, m.id == r.metric_id))
        .where(
            r.granularity == Granularity.DAY.value,
            r.customer_id == customer_id,
            r.bucket_start == sa.literal(start, UTCDateTime()),
            *within(r.customer_id, scope),
        )
    )
    sides: dict[str, dict[str, Any]] = {}
    for row in raw:
        side = sides.setdefault(
            row.code,
            {
                "agg": row.aggregation,
                "raw": [],
                "events": 0,
                "pending": 0,
                "roll": [],
                "revents": 0,
            },
        )
        side["events"] += row.events
        side["pending"] += row.pending
        if row.events:
            side["raw"].append(
                {
                    Aggregation.SUM.value: row.total,
                    Aggregation.MAX.value: row.largest,
                    Aggregation.UNIQUE_COUNT.value: row.distinct,
                }[row.aggregation]
            )
    for row in rollup:
        side = sides.setdefault(
            row.code,
            {
                "agg": row.aggregation,
                "raw": [],
                "events": 0,
                "pending": 0,
                "roll": [],
                "revents": 0,
            },
        )
        side["revents"] += row.event_count
        side["roll"].append(row.quantity)
    return [
        MetricCheck(
            metric=code,
            raw_events=int(side["events"]),
            raw_quantity=_combine(side["agg"], [int(v) for v in side["raw"]]),
            rollup_events=int(side["revents"]),
            rollup_quantity=_combine(side["agg"], [int(v) for v in side["roll"]]),
            pending_events=int(side["pending"]),
        )
        for code, side in sorted(sides.items())
    ]
