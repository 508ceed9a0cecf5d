"""SQL of the usage domain: metrics, events, and the figures read from the rollups."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import within
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.tables import PROJECTS
from app.models.usage import (
    USAGE_EVENTS,
    USAGE_METRICS,
    USAGE_ROLLUPS,
    Aggregation,
    Granularity,
    UsageMetric,
)


def insert_for(dialect: str, table: sa.Table) -> Any:
    """An INSERT that knows `ON CONFLICT` on this engine."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


async def metrics_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, UsageMetric]:
    wanted = list(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(sa.select(UsageMetric).where(USAGE_METRICS.c.code.in_(wanted)))
    return {metric.code: metric for metric in rows.scalars()}


async def all_metrics(session: AsyncSession) -> Sequence[UsageMetric]:
    rows = await session.execute(sa.select(UsageMetric).order_by(USAGE_METRICS.c.code))
    return rows.scalars().all()


async def projects_of(
    session: AsyncSession, customer_id: uuid.UUID, project_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `project_ids` belong to the customer."""
    wanted = list(set(project_ids))
    if not wanted:
        return set()
    statement = sa.select(PROJECTS.c.id).where(
        PROJECTS.c.customer_id == customer_id, PROJECTS.c.id.in_(wanted)
    )
    return set((await session.execute(statement)).scalars())


async def insert_events(
    session: AsyncSession, dialect: str, rows: list[dict[str, Any]]
) -> list[Any]:
    """Insert the events in one statement; a repeated idempotency key of the customer is
    skipped by the unique index. Returns the rows stored."""
    if not rows:
        return []
    statement = (
        insert_for(dialect, USAGE_EVENTS)
        .on_conflict_do_nothing(index_elements=["customer_id", "idempotency_key"])
        .returning(
            USAGE_EVENTS.c.seq,
            USAGE_EVENTS.c.customer_id,
            USAGE_EVENTS.c.project_id,
            USAGE_EVENTS.c.metric_id,
            USAGE_EVENTS.c.quantity,
            USAGE_EVENTS.c.occurred_at,
            USAGE_EVENTS.c.idempotency_key,
        )
    )
    return list((await session.execute(statement, rows)).all())


def daily_statement(
    scope: RowScope,
    start: datetime,
    end: datetime,
    *,
    customer_ids: Sequence[uuid.UUID] | None = None,
    project_id: uuid.UUID | None = None,
    metric: str | None = None,
    per_customer: bool = False,
) -> sa.Select[Any]:
    """Daily quantity per metric over [start, end) from the daily rollups: added for SUM and
    UNIQUE_COUNT metrics (distinct values per customer and project, added across them), the
    largest for MAX. `per_customer` groups by customer too."""
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    quantity = sa.case(
        (m.aggregation == Aggregation.MAX.value, sa.func.max(r.quantity)),
        else_=sa.func.sum(r.quantity),
    )
    day = sa.type_coerce(r.bucket_start, UTCDateTime()).label("day")
    columns: list[Any] = [day, m.code.label("metric"), quantity.label("quantity")]
    groups: list[Any] = [r.bucket_start, m.code, m.aggregation]
    if per_customer:
        columns.insert(0, r.customer_id)
        groups.insert(0, r.customer_id)
    statement = (
        sa.select(*columns)
        .select_from(USAGE_ROLLUPS.join(USAGE_METRICS, USAGE_METRICS.c.id == r.metric_id))
        .where(
            r.granularity == Granularity.DAY.value,
            r.bucket_start >= sa.literal(start, UTCDateTime()),
            r.bucket_start < sa.literal(end, UTCDateTime()),
            *within(r.customer_id, scope),
        )
        .group_by(*groups)
        .order_by(*groups[:-1])
    )
    if customer_ids is not None:
        statement = statement.where(r.customer_id.in_(list(customer_ids)))
    if project_id is not None:
        statement = statement.where(r.project_id == project_id)
    if metric is not None:
        statement = statement.where(m.code == metric)
    return statement


def events_statement(
    scope: RowScope,
    *,
    after_seq: int | None,
    limit: int,
    customer_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    metric: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> sa.Select[Any]:
    """Raw events in the order they were stored (`seq`), after a cursor: a stream to follow."""
    e = USAGE_EVENTS.c
    statement = (
        sa.select(
            e.seq,
            e.customer_id,
            e.project_id,
            e.quantity,
            e.occurred_at,
            e.received_at,
            e.idempotency_key,
            e.properties,
            USAGE_METRICS.c.code.label("metric"),
        )
        .select_from(USAGE_EVENTS.join(USAGE_METRICS, USAGE_METRICS.c.id == e.metric_id))
        .where(*within(e.customer_id, scope))
        .order_by(e.seq)
        .limit(limit)
    )
    if after_seq is not None:
        statement = statement.where(e.seq > after_seq)
    if customer_id is not None:
        statement = statement.where(e.customer_id == customer_id)
    if project_id is not None:
        statement = statement.where(e.project_id == project_id)
    if metric is not None:
        statement = statement.where(USAGE_METRICS.c.code == metric)
    if start is not None:
        statement = statement.where(e.occurred_at >= sa.literal(start, UTCDateTime()))
    if end is not None:
        statement = statement.where(e.occurred_at < sa.literal(end, UTCDateTime()))
    return statement
