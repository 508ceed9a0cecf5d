"""The write-behind aggregator: stored events rolled into hourly and daily rollups.

One flush is one transaction: it claims a batch of unaggregated events (marking them with the
batch's id; on PostgreSQL `FOR UPDATE SKIP LOCKED`, so concurrent flushers take different
events; on SQLite the claiming UPDATE holds the single writer lock) and adds that batch to the
rollups with upserts that add. The claim and the additions commit together or not at all, so
no event is counted twice or missed, across crashes and however many processes flush at once.
The same transaction then compares the touched customers' month with their quota: it records
each threshold reached once (publishing `usage.threshold_reached`) and flags the customer's
keys past 100 %.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.billing.subscriptions.limits import LimitSource, effective_limits
from app.db import Database
from app.keys.limits import limits_for
from app.keys.repository import mark_usage_exceeded
from app.kit import clock
from app.kit.actor import Actor
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.base import UTCDateTime
from app.models.customers import Customer
from app.models.usage import (
    USAGE_EVENTS,
    USAGE_IDEMPOTENCY_KEYS,
    USAGE_METRICS,
    USAGE_ROLLUPS,
    USAGE_THRESHOLDS,
    USAGE_UNIQUE_VALUES,
    Aggregation,
    Granularity,
)
from app.usage import buckets, partitions
from app.usage.repository import insert_for

BATCH_SIZE = 5000
MAX_BATCHES_PER_STEP = 20
PRUNE_BATCH = 10_000
PRUNE_EVERY = timedelta(hours=1)
THRESHOLDS = (80, 100)
# Distinct values are only needed while a bucket can still receive events (35 days).
UNIQUE_VALUES_KEPT = timedelta(days=40)
# An idempotency key is remembered longer than an event's timestamp may lag (35 days): a
# retried event that names its time is always recognised.
IDEMPOTENCY_KEPT = timedelta(days=40)
ACTOR = Actor.system("usage-aggregator")


@dataclass
class Telemetry:
    """This process's aggregator, for `usageAggregator` (pending and lag are read from the
    table when asked)."""

    enabled: bool = False
    flush_interval_ms: int = 1000
    last_flush_at: datetime | None = None
    last_flush_duration_ms: float | None = None
    last_flush_bucket_count: int = 0
    flushed_total: int = 0
    errors_total: int = 0
    last_error: str | None = None
    prunes: int = 0  # raw events deleted by retention, in total
    last_prune_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


TELEMETRY = Telemetry()


@dataclass(frozen=True, slots=True)
class Flushed:
    events: int
    buckets: int


def _claim(dialect: str, token: uuid.UUID, limit: int) -> sa.Update:
    e = USAGE_EVENTS.c
    pending = sa.select(e.seq).where(e.flush_batch.is_(None)).order_by(e.seq).limit(limit)
    if dialect == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    return (
        sa.update(USAGE_EVENTS)
        .where(e.seq.in_(pending.scalar_subquery()))
        .values(flush_batch=token)
    )


def _bucket_of(granularity: Granularity) -> sa.ColumnElement[Any]:
    if granularity is Granularity.HOUR:
        return USAGE_EVENTS.c.hour_start
    return USAGE_EVENTS.c.day_start


def _greater(dialect: str, a: Any, b: Any) -> Any:
    return sa.func.greatest(a, b) if dialect == "postgresql" else sa.func.max(a, b)


def _rollup(
    dialect: str, token: uuid.UUID, granularity: Granularity, now: datetime, largest: bool
) -> Any:
    """Add the batch's events of SUM and UNIQUE_COUNT metrics (`largest`: of MAX metrics) to
    the rollups of one granularity. A UNIQUE_COUNT event adds to the count of events here and
    its value in `_unique`."""
    e, m = USAGE_EVENTS.c, USAGE_METRICS.c
    bucket = _bucket_of(granularity)
    if largest:
        quantity: Any = sa.func.max(e.quantity)
        kinds = [Aggregation.MAX.value]
    else:
        quantity = sa.func.sum(
            sa.case((m.aggregation == Aggregation.SUM.value, e.quantity), else_=0)
        )
        kinds = [Aggregation.SUM.value, Aggregation.UNIQUE_COUNT.value]
    select = (
        sa.select(
            sa.literal(granularity.value).label("granularity"),
            bucket,
            e.customer_id,
            e.project_id,
            e.metric_id,
            quantity,
            sa.func.count(),
            sa.literal(now, UTCDateTime()),
        )
        .select_from(USAGE_EVENTS.join(USAGE_METRICS, m.id == e.metric_id))
        .where(e.flush_batch == token, m.aggregation.in_(kinds))
        .group_by(bucket, e.customer_id, e.project_id, e.metric_id)
        # One order for every flusher, so concurrent upserts lock rows alike (no deadlock).
        .order_by(bucket, e.customer_id, e.project_id, e.metric_id)
    )
    insert = insert_for(dialect, USAGE_ROLLUPS).from_select(
        [
            "granularity",
            "bucket_start",
            "customer_id",
            "project_id",
            "metric_id",
            "quantity",
            "event_count",
            "updated_at",
        ],
        select,
    )
    current = USAGE_ROLLUPS.c
    added = (
        _greater(dialect, current.quantity, insert.excluded.quantity)
        if largest
        else current.quantity + insert.excluded.quantity
    )
    return insert.on_conflict_do_update(
        index_elements=["granularity", "bucket_start", "customer_id", "project_id", "metric_id"],
        set_={
            "quantity": added,
            "event_count": current.event_count + insert.excluded.event_count,
            "updated_at": insert.excluded.updated_at,
        },
    )


async def _unique(uow: UnitOfWork, token: uuid.UUID, now: datetime) -> None:
    """Record the batch's distinct values; each value new to its bucket adds one to it."""
    e, m = USAGE_EVENTS.c, USAGE_METRICS.c
    dialect = uow.dialect
    fresh: Counter[tuple[Any, ...]] = Counter()
    for granularity in Granularity:
        bucket = _bucket_of(granularity)
        select = (
            sa.select(
                sa.literal(granularity.value),
                bucket,
                e.customer_id,
                e.project_id,
                e.metric_id,
                e.unique_value,
            )
            .select_from(USAGE_EVENTS.join(USAGE_METRICS, m.id == e.metric_id))
            .where(e.flush_batch == token, m.aggregation == Aggregation.UNIQUE_COUNT.value)
            .distinct()
        )
        u = USAGE_UNIQUE_VALUES.c
        insert = (
            insert_for(dialect, USAGE_UNIQUE_VALUES)
            .from_select(
                ["granularity", "bucket_start", "customer_id", "project_id", "metric_id", "value"],
                select,
            )
            .on_conflict_do_nothing()
            .returning(u.granularity, u.bucket_start, u.customer_id, u.project_id, u.metric_id)
        )
        for row in await uow.session.execute(insert):
            fresh[tuple(row)] += 1
    if not fresh:
        return
    r = USAGE_ROLLUPS.c
    statement = (
        sa.update(USAGE_ROLLUPS)
        .where(
            r.granularity == sa.bindparam("g"),
            r.bucket_start == sa.bindparam("b", type_=UTCDateTime()),
            r.customer_id == sa.bindparam("c"),
            r.project_id == sa.bindparam("p"),
            r.metric_id == sa.bindparam("m"),
        )
        .values(quantity=r.quantity + sa.bindparam("n"))
    )
    rows = [
        {"g": g, "b": b, "c": c, "p": p, "m": metric, "n": n}
        for (g, b, c, p, metric), n in fresh.items()
    ]
    await uow.session.execute(statement, rows)


async def _quotas(uow: UnitOfWork, token: uuid.UUID, now: datetime) -> None:
    """Thresholds and the USAGE_EXCEEDED flag of the customers this batch touched: the quota
    counts the events of the current UTC month."""
    session = uow.session
    touched = list(
        (
            await session.execute(
                sa.select(USAGE_EVENTS.c.customer_id)
                .where(USAGE_EVENTS.c.flush_batch == token)
                .distinct()
            )
        ).scalars()
    )
    if not touched:
        return
    effective = await effective_limits(session, touched)
    from_plan = await limits_for(
        session, [c for c in touched if effective[c].monthly_quota.source is LimitSource.NONE]
    )
    quotas: dict[uuid.UUID, int] = {}
    for customer_id in touched:
        limit = effective[customer_id].monthly_quota
        value = (
            limit.value
            if limit.source is not LimitSource.NONE
            else from_plan[customer_id].monthly_quota
        )
        if value is not None:
            quotas[customer_id] = int(value)
    if not quotas:
        return
    start = buckets.month_start(now)
    r = USAGE_ROLLUPS.c
    used = dict(
        (
            await session.execute(
                sa.select(r.customer_id, sa.func.sum(r.event_count))
                .where(
                    r.granularity == Granularity.DAY.value,
                    r.bucket_start >= sa.literal(start, UTCDateTime()),
                    r.customer_id.in_(list(quotas)),
                )
                .group_by(r.customer_id)
            )
        ).all()
    )
    month = buckets.month_code(now)
    until = buckets.next_month_start(now)
    for customer_id, quota in quotas.items():
        spent = int(used.get(customer_id) or 0)
        percent = 100 if quota <= 0 else spent * 100 // quota
        for threshold in THRESHOLDS:
            if percent < threshold:
                continue
            inserted = await session.execute(
                insert_for(uow.dialect, USAGE_THRESHOLDS)
                .values(customer_id=customer_id, month=month, percent=threshold, reached_at=now)
                .on_conflict_do_nothing()
                .returning(USAGE_THRESHOLDS.c.percent)
            )
            if inserted.first() is not None:
                uow.publish(
                    "usage.threshold_reached",
                    {
                        "customerId": encode(Customer.PREFIX, customer_id),
                        "month": month,
                        "threshold": threshold,
                        "used": spent,
                        "quota": quota,
                    },
                    customer_id=customer_id,
                )
        await mark_usage_exceeded(session, customer_id, until if spent >= quota else None)


async def flush_once(db: Database, limit: int = BATCH_SIZE) -> Flushed:
    """Claim and roll up one batch of stored events, in one transaction."""

    async def work(uow: UnitOfWork) -> Flushed:
        token = uuid.uuid4()
        now = clock.now()
        claimed = (await uow.session.execute(_claim(uow.dialect, token, limit))).rowcount  # type: ignore[attr-defined]
        if not claimed:
            return Flushed(0, 0)
        touched = 0
        for granularity in Granularity:
            for largest in (False, True):
                result = await uow.session.execute(
                    _rollup(uow.dialect, token, granularity, now, largest)
                )
                touched += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        await _unique(uow, token, now)
        await _quotas(uow, token, now)
        return Flushed(int(claimed), touched)

    result: Flushed = await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    return result


async def flush(db: Database, telemetry: Telemetry = TELEMETRY) -> int:
    """Flush until nothing is pending (at most `MAX_BATCHES_PER_STEP` batches); the events
    rolled up."""
    started = time.perf_counter()
    total = buckets_touched = 0
    try:
        for _ in range(MAX_BATCHES_PER_STEP):
            done = await flush_once(db)
            total += done.events
            buckets_touched += done.buckets
            if done.events < BATCH_SIZE:
                break
    except Exception as error:
        telemetry.errors_total += 1
        telemetry.last_error = f"{type(error).__name__}: {error}"[:500]
        raise
    finally:
        telemetry.last_flush_at = clock.now()
        telemetry.last_flush_duration_ms = (time.perf_counter() - started) * 1000
        telemetry.last_flush_bucket_count = buckets_touched
        telemetry.flushed_total += total
    return total


async def prune(db: Database, retention_days: int, telemetry: Telemetry = TELEMETRY) -> int:
    """Retention: raw events older than `retention_days` (already rolled up) go; rollups are
    kept. On PostgreSQL whole monthly partitions go (those wholly past the retention, once
    every event of theirs is rolled up), after the partitions of the coming months are made;
    rows are deleted only where no partition can be dropped (the default partition, a month
    with events still pending). On SQLite rows are deleted in batches of `PRUNE_BATCH`, each
    its own transaction. The distinct values of buckets past receiving events and the
    idempotency keys past `IDEMPOTENCY_KEPT` go too."""
    now = clock.now()
    cutoff = now - timedelta(days=retention_days)
    deleted = 0
    if db.dialect == "postgresql":

        async def partitioned(uow: UnitOfWork) -> int:
            await partitions.ensure_ahead(uow.session, now)
            dropped, _ = await partitions.drop_expired(uow.session, cutoff)
            return dropped

        deleted += await db.run(partitioned, actor=ACTOR, row_scope=EVERYTHING)
        # What is left before the cutoff's month sits in partitions that could not go.
        cutoff = partitions.month_start(cutoff)
    e = USAGE_EVENTS.c
    old = (
        sa.select(e.seq)
        .where(e.occurred_at < sa.literal(cutoff, UTCDateTime()), e.flush_batch.is_not(None))
        .limit(PRUNE_BATCH)
    )
    # The time bound again outside the subquery, so PostgreSQL visits the old partitions only.
    deleted += await _in_batches(
        db,
        sa.delete(USAGE_EVENTS).where(
            e.seq.in_(old.scalar_subquery()), e.occurred_at < sa.literal(cutoff, UTCDateTime())
        ),
    )
    k = USAGE_IDEMPOTENCY_KEYS.c
    expired = (
        sa.select(k.customer_id, k.idempotency_key)
        .where(k.received_at < sa.literal(now - IDEMPOTENCY_KEPT, UTCDateTime()))
        .limit(PRUNE_BATCH)
    )
    await _in_batches(
        db,
        sa.delete(USAGE_IDEMPOTENCY_KEYS).where(
            sa.tuple_(k.customer_id, k.idempotency_key).in_(expired)
        ),
    )

    async def values(uow: UnitOfWork) -> None:
        u = USAGE_UNIQUE_VALUES.c
        await uow.session.execute(
            sa.delete(USAGE_UNIQUE_VALUES).where(
                u.bucket_start < sa.literal(now - UNIQUE_VALUES_KEPT, UTCDateTime())
            )
        )

    await db.run(values, actor=ACTOR, row_scope=EVERYTHING)
    telemetry.prunes += deleted
    telemetry.last_prune_at = now
    return deleted


async def _in_batches(db: Database, delete: sa.Delete) -> int:
    """Run a DELETE of at most `PRUNE_BATCH` rows until it deletes fewer, each batch its own
    transaction; the rows deleted."""
    total = 0
    while True:

        async def work(uow: UnitOfWork) -> int:
            result = await uow.session.execute(delete)
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

        count: int = await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
        total += count
        if count < PRUNE_BATCH:
            return total


async def pending(db: Database) -> tuple[int, float]:
    """Events stored but not yet rolled up, and the age in seconds of the oldest of them."""
    e = USAGE_EVENTS.c
    async with db.write_session() as session:
        row = (
            await session.execute(
                sa.select(
                    sa.func.count(), sa.func.min(sa.type_coerce(e.received_at, UTCDateTime()))
                ).where(e.flush_batch.is_(None))
            )
        ).one()
    count, oldest = int(row[0]), row[1]
    lag = 0.0 if oldest is None else max((clock.now() - oldest).total_seconds(), 0.0)
    return count, lag
