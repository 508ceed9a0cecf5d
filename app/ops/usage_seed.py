"""Usage events for the demo and bench data sets (`admiral seed --usage-events N`).

Three metrics (declared if absent), events spread over the existing customers and the last 30
days, inserted in batches of `BATCH` rows per statement, then rolled up by the aggregator
itself, so the rollups are what ingest would have produced.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.tables import CUSTOMERS
from app.models.usage import NO_PROJECT, USAGE_EVENTS, USAGE_METRICS, Aggregation, UsageMetric
from app.usage import aggregator, buckets

BATCH = 10_000
METRICS = (
    ("api_calls", "API calls", "requests", Aggregation.SUM, 20),
    ("storage_gb", "Storage", "GB", Aggregation.MAX, 2_300),
    ("active_users", "Active users", "users", Aggregation.UNIQUE_COUNT, 0),
)
ACTOR = Actor.system("seed")


async def _metrics(db: Database) -> list[Any]:
    async def work(uow: UnitOfWork) -> list[Any]:
        found = {row.code: row for row in await uow.session.execute(sa.select(USAGE_METRICS))}
        for code, name, unit, aggregation, cost in METRICS:
            if code not in found:
                uow.session.add(
                    UsageMetric(
                        code=code,
                        name=name,
                        unit=unit,
                        aggregation=aggregation,
                        unit_cost_micros=cost,
                    )
                )
        await uow.session.flush()
        rows = await uow.session.execute(
            sa.select(USAGE_METRICS).where(USAGE_METRICS.c.code.in_([m[0] for m in METRICS]))
        )
        return list(rows)

    return await db.run(work, actor=ACTOR, row_scope=EVERYTHING)


async def seed_usage(db: Database, count: int, seed: int = 1) -> int:
    """Insert `count` usage events and roll them up; how many were inserted (none without
    customers)."""
    metrics = await _metrics(db)
    async with db.write_session() as session:
        customers = list((await session.execute(sa.select(CUSTOMERS.c.id))).scalars())
    if not customers or count <= 0:
        return 0
    rng = random.Random(seed)
    now = clock.now()
    inserted = 0
    while inserted < count:
        size = min(BATCH, count - inserted)
        rows = []
        for _ in range(size):
            metric = rng.choice(metrics)
            occurred = now - timedelta(seconds=rng.randrange(30 * 86_400))
            unique = metric.aggregation is Aggregation.UNIQUE_COUNT
            rows.append(
                {
                    "customer_id": rng.choice(customers),
                    "project_id": NO_PROJECT,
                    "metric_id": metric.id,
                    "key_id": None,
                    "quantity": 1 if unique else rng.randrange(1, 100),
                    "occurred_at": occurred,
                    "hour_start": buckets.hour_start(occurred),
                    "day_start": buckets.day_start(occurred),
                    "received_at": now,
                    "idempotency_key": None,
                    "unique_value": f"user-{rng.randrange(500)}" if unique else None,
                    "properties": None,
                    "flush_batch": None,
                }
            )

        async def write(uow: UnitOfWork, rows: list[dict[str, Any]] = rows) -> None:
            await uow.session.execute(sa.insert(USAGE_EVENTS), rows)

        await db.run(write, actor=ACTOR, row_scope=EVERYTHING)
        inserted += size
    while (await aggregator.flush_once(db)).events:
        pass
    return inserted
