"""The seam between the metrics and the usage domain's rollups: every usage figure the metrics
show is one SQL aggregate over `usage_rollups` here, never raw events added up in Python.

Usage is counted the way quotas count it (`app/usage/aggregator.py`): in events, so a
customer's usage this month and its monthly quota are in the same unit whatever the metrics'
own units are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.db import Reader
from app.metrics.periods import DateRange
from app.models.base import UTCDateTime
from app.models.usage import USAGE_METRICS, USAGE_ROLLUPS, Aggregation, Granularity

SECONDS_PER_HOUR = 3600
# Units a metric declares when its quantity is bytes moved (compared case-insensitively).
BYTE_UNITS = ("bytes", "byte", "b")
_MICROS = 1_000_000


@dataclass(frozen=True, slots=True)
class ModeledCost:
    """One metric's usage on one day times its unit cost (minor units per million units)."""

    category: str  # the metric's code
    day: date
    quantity: int
    unit_cost_micros: int

    @property
    def amount(self) -> int:
        """Minor units, rounded half up once per day and metric, so the days and the
        categories add up to the same total."""
        return (self.quantity * self.unit_cost_micros + _MICROS // 2) // _MICROS


def _in(period: DateRange, granularity: Granularity) -> list[sa.ColumnElement[bool]]:
    r = USAGE_ROLLUPS.c
    return [
        r.granularity == granularity.value,
        r.bucket_start >= sa.literal(period.start_at, UTCDateTime()),
        r.bucket_start < sa.literal(period.end_before, UTCDateTime()),
    ]


async def usage_this_period(reader: Reader, period: DateRange) -> int:
    """Every customer's usage events rolled up in the period."""
    r = USAGE_ROLLUPS.c
    total = await reader.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(r.event_count), 0)).where(
            *_in(period, Granularity.DAY)
        )
    )
    return int(total or 0)


async def customer_usage(
    reader: Reader, customer_ids: list[uuid.UUID], period: DateRange
) -> dict[uuid.UUID, int]:
    """Per customer, the usage events rolled up in the period (what its monthly quota counts);
    a customer without any is absent."""
    if not customer_ids:
        return {}
    r = USAGE_ROLLUPS.c
    rows = await reader.all(
        sa.select(r.customer_id, sa.func.sum(r.event_count).label("events"))
        .where(*_in(period, Granularity.DAY), r.customer_id.in_(list(customer_ids)))
        .group_by(r.customer_id)
    )
    return {row.customer_id: int(row.events) for row in rows}


async def modeled_costs(reader: Reader, period: DateRange, currency: str) -> list[ModeledCost]:
    """Per day and metric priced in `currency` with a unit cost, the quantity of the daily
    rollups added across customers and projects: for SUM metrics what was used, for
    UNIQUE_COUNT metrics the distinct values of each day (active-user days), for MAX metrics
    each day's level (unit days, as a seat or a stored gigabyte is paid for by the day)."""
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    day: Any = sa.type_coerce(r.bucket_start, UTCDateTime()).label("day")
    rows = await reader.all(
        sa.select(day, m.code, m.unit_cost_micros, sa.func.sum(r.quantity).label("quantity"))
        .select_from(USAGE_ROLLUPS.join(USAGE_METRICS, m.id == r.metric_id))
        .where(*_in(period, Granularity.DAY), m.currency == currency, m.unit_cost_micros > 0)
        .group_by(r.bucket_start, m.code, m.unit_cost_micros)
        .order_by(r.bucket_start, m.code)
    )
    return [
        ModeledCost(
            category=row.code,
            day=row.day.date(),
            quantity=int(row.quantity),
            unit_cost_micros=int(row.unit_cost_micros),
        )
        for row in rows
    ]


async def bandwidth_by_day(reader: Reader, period: DateRange) -> dict[date, int]:
    """Per day, the bytes moved: the daily rollups' quantities, added across customers,
    projects and metrics, of the SUM metrics whose unit is bytes (`BYTE_UNITS`). A MAX metric
    in bytes is a level (storage held), not traffic, so it is left out. Days without any are
    absent."""
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    rows = await reader.all(
        sa.select(
            sa.type_coerce(r.bucket_start, UTCDateTime()).label("day"),
            sa.func.sum(r.quantity).label("bytes"),
        )
        .select_from(USAGE_ROLLUPS.join(USAGE_METRICS, m.id == r.metric_id))
        .where(
            *_in(period, Granularity.DAY),
            sa.func.lower(m.unit).in_(BYTE_UNITS),
            m.aggregation == Aggregation.SUM.value,
        )
        .group_by(r.bucket_start)
    )
    return {row.day.date(): int(row.bytes) for row in rows}


async def peak_requests_per_second(reader: Reader, period: DateRange) -> float | None:
    """The busiest hour of the period: every customer's usage events of that hour (the hourly
    rollups) / 3600, the mean rate of the hour (the rollups keep nothing finer). None when no
    usage was rolled up in the period."""
    r = USAGE_ROLLUPS.c
    hours = (
        sa.select(sa.func.sum(r.event_count).label("events"))
        .where(*_in(period, Granularity.HOUR))
        .group_by(r.bucket_start)
        .subquery()
    )
    busiest = await reader.scalar(sa.select(sa.func.max(hours.c.events)))
    if busiest is None:
        return None
    return round(int(busiest) / SECONDS_PER_HOUR, 6)
