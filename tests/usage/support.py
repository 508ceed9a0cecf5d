"""Helpers of the usage tests: metrics declared, keys issued, batches sent, rollups read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database
from app.models.usage import USAGE_EVENTS, USAGE_METRICS, USAGE_ROLLUPS, Aggregation, UsageMetric
from app.usage import aggregator
from tests.helpers import GraphQL, Mutation, World, gid
from tests.keys.support import issue, new_key
from tests.support import add_rows, rows

USAGE_METRIC_CREATE = Mutation(
    "usageMetricCreate", "usageMetric { id code name unit aggregation unitCostMicros currency }"
)


async def metric(
    db: Database, code: str, aggregation: Aggregation = Aggregation.SUM
) -> UsageMetric:
    row = UsageMetric(code=code, name=code.title(), unit="units", aggregation=aggregation)
    await add_rows(db, row)
    return row


async def api_key(gql: GraphQL, world: World, customer: Any = None, **fields: Any) -> str:
    input = new_key(world, **fields)
    if customer is not None:
        input["customerId"] = gid("cus", customer)
    _, secret = await issue(gql, world.master, input)
    return secret


async def send(client: httpx.AsyncClient, secret: str, events: Any) -> httpx.Response:
    return await client.post(
        "/v1/usage", json={"events": events}, headers={"Authorization": f"Bearer {secret}"}
    )


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def rollups(db: Database, granularity: str = "DAY") -> list[tuple[Any, ...]]:
    """(bucket_start, customer_id, metric code, quantity, event_count), sorted."""
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    found = await rows(
        db,
        sa.select(r.bucket_start, r.customer_id, m.code, r.quantity, r.event_count)
        .join(USAGE_METRICS, m.id == r.metric_id)
        .where(r.granularity == granularity),
    )
    return sorted(tuple(row) for row in found)


async def event_count(db: Database) -> int:
    return int((await rows(db, sa.select(sa.func.count()).select_from(USAGE_EVENTS)))[0][0])


async def flush_all(db: Database) -> int:
    total = 0
    while True:
        done = await aggregator.flush_once(db)
        total += done.events
        if done.events == 0:
            return total
