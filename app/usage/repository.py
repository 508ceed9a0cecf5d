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
from app.models.tables import MEMBERSHIPS, PROJECTS
from app.models.usage import (
    USAGE_EVENTS,
    USAGE_IDEMPOTENCY_KEYS,
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


_STORED = (
    "seq",
    "customer_id",
    "project_id",
    "metric_id",
    "quantity",
    "occurred_at",
    "idempotency_key",
)
_EVENT_COLUMNS = (
    "customer_id",
    "project_id",
    "metric_id",
    "key_id",
    "quantity",
    "occurred_at",
    "hour_start",
    "day_start",
    "received_at",
    "idempotency_key",
    "unique_value",
    "properties",
)


async def insert_events(
    session: AsyncSession, dialect: str, rows: list[dict[str, Any]]
) -> list[Any]:
    """Store the events whose idempotency key (if any) the customer has not used; the rows
    stored. A key is taken by inserting it into `usage_idempotency_keys`, whose primary key
    lets one insert win: on PostgreSQL in the same statement as the events (a data-modifying
    CTE), on SQLite in a statement before them, in the same transaction. Keys repeated within
    `rows` must have been dropped already."""
    if not rows:
        return []
    returning = [USAGE_EVENTS.c[name] for name in _STORED]
    if dialect == "postgresql":
        return list((await session.execute(_insert_once(rows))).all())
    keyed = [row for row in rows if row["idempotency_key"] is not None]
    if keyed:
        k = USAGE_IDEMPOTENCY_KEYS.c
        taken = await session.execute(
            insert_for(dialect, USAGE_IDEMPOTENCY_KEYS)
            .on_conflict_do_nothing()
            .returning(k.idempotency_key),
            [
                {
                    "customer_id": row["customer_id"],
                    "idempotency_key": row["idempotency_key"],
                    "received_at": row["received_at"],
                }
                for row in keyed
            ],
        )
        fresh = set(taken.scalars())
        rows = [
            row for row in rows if row["idempotency_key"] in fresh or row["idempotency_key"] is None
        ]
        if not rows:
            return []
    statement = sa.insert(USAGE_EVENTS).returning(*returning)
    return list((await session.execute(statement, rows)).all())


def _insert_once(rows: list[dict[str, Any]]) -> Any:
    """One statement: the batch as one array per column (`unnest`: the same text, so the
    same prepared statement, for any batch), its keys inserted by a CTE that returns those it
    took, the events inserted that carry no key or a key just taken."""
    e = USAGE_EVENTS.c
    # Column names from this module only; the values travel as bound arrays.
    columns = ", ".join(_EVENT_COLUMNS)
    arrays = ", ".join(f":{name}" for name in _EVENT_COLUMNS)
    text = sa.text(
        f"WITH batch AS (SELECT * FROM unnest({arrays}) AS b({columns})), "  # noqa: S608
        "taken AS (INSERT INTO usage_idempotency_keys (customer_id, idempotency_key, "
        "received_at) SELECT customer_id, idempotency_key, received_at FROM batch "
        "WHERE idempotency_key IS NOT NULL ON CONFLICT DO NOTHING RETURNING idempotency_key) "
        f"INSERT INTO usage_events ({columns}) SELECT {columns} FROM batch "
        "WHERE idempotency_key IS NULL OR idempotency_key IN (SELECT idempotency_key FROM taken) "
        f"RETURNING {', '.join(_STORED)}"
    )
    parameters = [
        sa.bindparam(name, [row[name] for row in rows], type_=postgresql.ARRAY(e[name].type))
        for name in _EVENT_COLUMNS
    ]
    return text.bindparams(*parameters).columns(*[e[name] for name in _STORED])


def daily_statement(
    scope: RowScope,
    start: datetime,
    end: datetime,
    *,
    customer_ids: Sequence[uuid.UUID] | None = None,
    project_id: uuid.UUID | None = None,
    metric: str | None = None,
    per_customer: bool = False,
    user_ids: Sequence[uuid.UUID] | None = None,
) -> sa.Select[Any]:
    """Daily quantity per metric over [start, end) from the daily rollups: added for SUM and
    UNIQUE_COUNT metrics (distinct values per customer and project, added across them), the
    largest for MAX. `per_customer` groups by customer too; `user_ids` keeps the customers
    those users are members of and groups by user (a customer shared by two of them counts
    in each one's series)."""
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    quantity = sa.case(
        (m.aggregation == Aggregation.MAX.value, sa.func.max(r.quantity)),
        else_=sa.func.sum(r.quantity),
    )
    day = sa.type_coerce(r.bucket_start, UTCDateTime()).label("day")
    columns: list[Any] = [day, m.code.label("metric"), quantity.label("quantity")]
    groups: list[Any] = [r.bucket_start, m.code, m.aggregation]
    source: Any = USAGE_ROLLUPS.join(USAGE_METRICS, USAGE_METRICS.c.id == r.metric_id)
    if per_customer:
        columns.insert(0, r.customer_id)
        groups.insert(0, r.customer_id)
    if user_ids is not None:
        member = MEMBERSHIPS.c
        source = source.join(MEMBERSHIPS, member.customer_id == r.customer_id)
        columns.insert(0, member.user_id)
        groups.insert(0, member.user_id)
    statement = (
        sa.select(*columns)
        .select_from(source)
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
    if user_ids is not None:
        statement = statement.where(MEMBERSHIPS.c.user_id.in_(list(user_ids)))
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
