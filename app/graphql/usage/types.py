"""GraphQL types of the usage domain."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import strawberry
from aiodataloader import DataLoader

from app.db import Reader
from app.kit.ids import encode
from app.kit.scope import RowScope
from app.models.customers import Customer
from app.models.projects import Project
from app.models.usage import NO_PROJECT, Aggregation
from app.models.usage import UsageMetric as UsageMetricRow
from app.usage import figures
from app.usage.aggregator import Telemetry
from app.usage.figures import Day, MetricCheck

strawberry.enum(Aggregation, description="How a metric's events add up within a bucket.")


@strawberry.type(description="A declared usage metric: what `POST /v1/usage` accepts.")
class UsageMetric:
    id: strawberry.ID
    code: str
    name: str
    unit: str
    aggregation: Aggregation
    unit_cost_micros: int = strawberry.field(
        description="Cost of one unit, in millionths of the currency's minor unit (cost model)."
    )
    currency: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> UsageMetric:
        return cls(
            id=strawberry.ID(encode(UsageMetricRow.PREFIX, row.id)),
            code=row.code,
            name=row.name,
            unit=row.unit,
            aggregation=row.aggregation,
            unit_cost_micros=row.unit_cost_micros,
            currency=row.currency,
            created_at=row.created_at,
        )


@strawberry.type(
    description="The write-behind usage aggregator of the process answering (its counters "
    "are this process's; pending events and lag are read from the table)."
)
class UsageAggregator:
    enabled: bool
    flush_interval_ms: int
    pending_events: int
    last_flush_at: datetime | None
    last_flush_duration_ms: float | None
    last_flush_bucket_count: int = strawberry.field(
        description="Rollup rows (hourly and daily) the last flush wrote."
    )
    flushed_total: int = strawberry.field(description="Events rolled up since the start.")
    errors_total: int
    last_error: str | None
    lag_seconds: float = strawberry.field(description="Age of the oldest event not rolled up.")
    prunes: int = strawberry.field(description="Raw events deleted by retention, in total.")
    last_prune_at: datetime | None

    @classmethod
    def of(cls, telemetry: Telemetry, pending: int, lag: float) -> UsageAggregator:
        return cls(
            enabled=telemetry.enabled,
            flush_interval_ms=telemetry.flush_interval_ms,
            pending_events=pending,
            last_flush_at=telemetry.last_flush_at,
            last_flush_duration_ms=telemetry.last_flush_duration_ms,
            last_flush_bucket_count=telemetry.last_flush_bucket_count,
            flushed_total=telemetry.flushed_total,
            errors_total=telemetry.errors_total,
            last_error=telemetry.last_error,
            lag_seconds=lag,
            prunes=telemetry.prunes,
            last_prune_at=telemetry.last_prune_at,
        )


@strawberry.type(description="One day's usage of one metric (UTC days).")
class UsageDay:
    date: date
    metric: str
    quantity: int

    @classmethod
    def of(cls, day: Day) -> UsageDay:
        return cls(date=day.date, metric=day.metric, quantity=day.quantity)


class UsageDaysByCustomerIdLoader(DataLoader[uuid.UUID, list[Day]]):
    """Customers' daily usage series over one range (and metric), in the caller's scope: one
    statement per batch, so a page of customers' `daily` costs one statement."""

    def __init__(
        self, reader: Reader, scope: RowScope, start: datetime, end: datetime, metric: str | None
    ) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope
        self.start, self.end, self.metric = start, end, metric

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[Day]]:
        found = await figures.daily_by_customer(
            self.reader, self.scope, self.start, self.end, list(keys), self.metric
        )
        return [found[key] for key in keys]


class UsageDaysByUserIdLoader(DataLoader[uuid.UUID, list[Day]]):
    """Users' daily usage series (across the customers each is a member of) over one range
    (and metric), in the caller's scope: one statement per batch."""

    def __init__(
        self, reader: Reader, scope: RowScope, start: datetime, end: datetime, metric: str | None
    ) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope
        self.start, self.end, self.metric = start, end, metric

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[Day]]:
        found = await figures.daily_by_user(
            self.reader, self.scope, self.start, self.end, list(keys), self.metric
        )
        return [found[key] for key in keys]


@strawberry.type(description="A customer's daily usage series.")
class CustomerUsageDaily:
    customer_id: strawberry.ID
    days: list[UsageDay]


@strawberry.type(description="A stored usage event.")
class UsageEvent:
    customer_id: strawberry.ID
    project_id: strawberry.ID | None
    metric: str
    quantity: int
    timestamp: datetime
    received_at: datetime | None
    idempotency_key: str | None

    @classmethod
    def from_row(cls, row: Any) -> UsageEvent:
        return cls(
            customer_id=strawberry.ID(encode(Customer.PREFIX, row.customer_id)),
            project_id=None
            if row.project_id == NO_PROJECT
            else strawberry.ID(encode(Project.PREFIX, row.project_id)),
            metric=row.metric,
            quantity=row.quantity,
            timestamp=row.occurred_at,
            received_at=row.received_at,
            idempotency_key=row.idempotency_key,
        )

    @classmethod
    def from_announced(cls, event: dict[str, Any]) -> UsageEvent:
        project = event["project_id"]
        return cls(
            customer_id=strawberry.ID(encode(Customer.PREFIX, uuid.UUID(event["customer_id"]))),
            project_id=None
            if project is None
            else strawberry.ID(encode(Project.PREFIX, uuid.UUID(project))),
            metric=event["metric"],
            quantity=event["quantity"],
            timestamp=datetime.fromisoformat(event["occurred_at"]),
            received_at=None,
            idempotency_key=event["idempotency_key"],
        )


def event_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"usage:{seq}".encode()).decode()


@strawberry.type
class UsageEventEdge:
    cursor: str
    node: UsageEvent


@strawberry.type
class UsageEventPageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to follow the stream (also when the page is empty)."
    )


@strawberry.type(description="Usage events in the order they were stored: a stream to follow.")
class UsageEventConnection:
    edges: list[UsageEventEdge]
    page_info: UsageEventPageInfo


@strawberry.type(description="One metric of a day: raw events against the daily rollup.")
class UsageMetricCheck:
    metric: str
    raw_events: int = strawberry.field(description="Rolled-up raw events still stored.")
    raw_quantity: int
    rollup_events: int
    rollup_quantity: int
    pending_events: int = strawberry.field(description="Stored, not yet rolled up.")
    matches: bool

    @classmethod
    def of(cls, check: MetricCheck) -> UsageMetricCheck:
        return cls(
            metric=check.metric,
            raw_events=check.raw_events,
            raw_quantity=check.raw_quantity,
            rollup_events=check.rollup_events,
            rollup_quantity=check.rollup_quantity,
            pending_events=check.pending_events,
            matches=check.matches,
        )


@strawberry.type(description="A customer's day of raw usage events compared with its rollup.")
class UsageDiagnostic:
    customer_id: strawberry.ID
    date: date
    matches: bool = strawberry.field(description="Every metric's figures agree.")
    differences: list[str] = strawberry.field(description="Where they differ, in words.")
    metrics: list[UsageMetricCheck]
