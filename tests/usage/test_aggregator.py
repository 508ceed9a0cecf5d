"""The aggregator against hand-computed rollups; quotas and thresholds; retention."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.models.usage import USAGE_EVENTS, Aggregation
from app.usage import aggregator
from tests.helpers import Factory, GraphQL, World, gid
from tests.keys.support import outbox, verify
from tests.support import rows
from tests.usage.support import api_key, at, event_count, flush_all, metric, rollups, send


async def test_rollups_match_hand_computed_figures(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    await metric(db, "peak", Aggregation.MAX)
    await metric(db, "users", Aggregation.UNIQUE_COUNT)
    now = clock.now()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    h1, h2 = day + timedelta(hours=3), day + timedelta(hours=5)
    own, other = await api_key(gql, world), await api_key(gql, world, world.other)

    def event(code: str, quantity: int, hour: datetime, value: str | None = None) -> dict:
        found: dict = {
            "metric": code,
            "quantity": quantity,
            "timestamp": at(hour + timedelta(minutes=7)),
        }
        if value is not None:
            found["properties"] = {"value": value}
        return found

    # Two flushes, so the second adds to rollups the first wrote.
    await send(client, own, [event("calls", 2, h1), event("calls", 3, h2), event("peak", 4, h1)])
    await send(client, own, [event("users", 1, h1, "ann"), event("users", 1, h1, "bob")])
    await send(client, other, [event("calls", 10, h1)])
    assert await flush_all(db) == 6
    await send(client, own, [event("calls", 5, h2), event("peak", 9, h2), event("peak", 1, h1)])
    await send(client, own, [event("users", 1, h2, "ann"), event("users", 1, h2, "cy")])
    assert await flush_all(db) == 5
    assert await flush_all(db) == 0
    assert await rollups(db, "DAY") == sorted(
        [
            (day, world.own.id, "calls", 2 + 3 + 5, 3),
            (day, world.own.id, "peak", 9, 3),
            (day, world.own.id, "users", 3, 4),  # ann, bob, cy
            (day, world.other.id, "calls", 10, 1),
        ]
    )
    assert await rollups(db, "HOUR") == sorted(
        [
            (h1, world.own.id, "calls", 2, 1),
            (h2, world.own.id, "calls", 8, 2),
            (h1, world.own.id, "peak", 4, 2),
            (h2, world.own.id, "peak", 9, 1),
            (h1, world.own.id, "users", 2, 2),  # ann, bob
            (h2, world.own.id, "users", 2, 2),  # ann, cy
            (h1, world.other.id, "calls", 10, 1),
        ]
    )
    diagnostic = await gql.ok(
        "query($c: ID!, $d: Date) { usageDiagnostic(customerId: $c, date: $d) { matches "
        "differences metrics { metric rawEvents rawQuantity rollupEvents rollupQuantity } } }",
        {"c": gid("cus", world.own), "d": day.date().isoformat()},
        token=world.master,
    )
    assert diagnostic["usageDiagnostic"]["matches"] is True
    assert diagnostic["usageDiagnostic"]["metrics"] == [
        {
            "metric": "calls",
            "rawEvents": 3,
            "rawQuantity": 10,
            "rollupEvents": 3,
            "rollupQuantity": 10,
        },
        {
            "metric": "peak",
            "rawEvents": 3,
            "rawQuantity": 9,
            "rollupEvents": 3,
            "rollupQuantity": 9,
        },
        {
            "metric": "users",
            "rawEvents": 4,
            "rawQuantity": 3,
            "rollupEvents": 4,
            "rollupQuantity": 3,
        },
    ]


async def test_the_diagnostic_says_where_raw_and_rollup_differ(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    await send(client, secret, [{"metric": "calls", "quantity": 4}])
    await flush_all(db)
    await send(client, secret, [{"metric": "calls", "quantity": 1}])
    answer = await gql.ok(
        "query($c: ID!) { usageDiagnostic(customerId: $c) { matches differences } }",
        {"c": gid("cus", world.own)},
        token=world.master,
    )
    assert answer["usageDiagnostic"] == {
        "matches": False,
        "differences": ["calls: 1 events not rolled up yet"],
    }


async def test_telemetry(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    await send(client, secret, [{"metric": "calls", "quantity": 1}] * 3)
    query = (
        "{ usageAggregator { enabled flushIntervalMs pendingEvents lastFlushAt "
        "lastFlushDurationMs lastFlushBucketCount flushedTotal errorsTotal lastError "
        "lagSeconds prunes lastPruneAt } }"
    )
    before = (await gql.ok(query, token=world.master))["usageAggregator"]
    assert before["pendingEvents"] == 3
    assert before["lagSeconds"] >= 0
    flushed = before["flushedTotal"]
    await aggregator.flush(db)
    after = (await gql.ok(query, token=world.master))["usageAggregator"]
    assert after["pendingEvents"] == 0
    assert after["flushedTotal"] == flushed + 3
    assert after["lastFlushBucketCount"] == 2  # the hour and the day
    assert after["lastFlushAt"] is not None
    refused = await gql(query, token=world.owner_token)
    assert refused.codes == ["FORBIDDEN"]


async def test_retention_prunes_old_raw_events_and_keeps_rollups(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    await send(client, secret, [{"metric": "calls", "quantity": 2}] * 2)
    await flush_all(db)
    await send(client, secret, [{"metric": "calls", "quantity": 1}])  # not rolled up yet
    kept = await rollups(db)
    # Past the retention by more than a month, so on PostgreSQL this month's partition lies
    # wholly before the cutoff (it stays: an event of it is pending; its rows go one by one).
    with clock.travel(timedelta(days=401 + 62)):
        assert await aggregator.prune(db, 400) == 2
    assert await event_count(db) == 1  # an event not rolled up is never pruned
    assert await rollups(db) == kept
    assert aggregator.TELEMETRY.last_prune_at is not None


async def test_quota_thresholds_and_usage_exceeded(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient, factory: Factory
) -> None:
    await metric(db, "calls")
    plan = await factory.plan("tiny", monthly_quota=10)
    customer = await factory.customer("tiny-co", plan=plan)
    secret = await api_key(gql, world, customer)
    assert (await verify(client, world.master, secret)).json()["code"] == "VALID"
    await send(client, secret, [{"metric": "calls", "quantity": 1}] * 7)
    await flush_all(db)
    assert await outbox(db, "usage.threshold_reached") == []
    await send(client, secret, [{"metric": "calls", "quantity": 1}] * 1)
    await flush_all(db)
    reached = await outbox(db, "usage.threshold_reached")
    assert [(e["threshold"], e["used"], e["quota"]) for e in reached] == [(80, 8, 10)]
    assert (await verify(client, world.master, secret)).json()["code"] == "VALID"
    await send(client, secret, [{"metric": "calls", "quantity": 1}] * 2)
    await flush_all(db)
    await send(client, secret, [{"metric": "calls", "quantity": 1}] * 3)
    await flush_all(db)
    reached = await outbox(db, "usage.threshold_reached")
    # Once per month per threshold.
    assert [e["threshold"] for e in reached] == [80, 100]
    assert reached[1]["customerId"] == gid("cus", customer)
    assert (await verify(client, world.master, secret)).json()["code"] == "USAGE_EXCEEDED"
    # Metering goes on past the quota.
    assert (await send(client, secret, [{"metric": "calls", "quantity": 1}])).status_code == 202
    # A new month starts afresh.
    start = datetime(clock.now().year, clock.now().month, 1, tzinfo=UTC)
    next_month = (start + timedelta(days=32)).replace(day=1)
    with clock.travel(next_month - clock.now() + timedelta(hours=1)):
        assert (await verify(client, world.master, secret)).json()["code"] == "VALID"
    # A customer without a quota is never exceeded.
    free = await api_key(gql, world, world.other)
    await send(client, free, [{"metric": "calls", "quantity": 1}] * 50)
    await flush_all(db)
    assert (await verify(client, world.master, free)).json()["code"] == "VALID"


async def test_a_failed_flush_leaves_its_batch_for_the_next(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    await send(client, secret, [{"metric": "calls", "quantity": 2}] * 3)
    original = aggregator._quotas

    async def broken(*args: object) -> None:
        raise RuntimeError("crash after the upserts")

    aggregator._quotas = broken  # type: ignore[assignment]
    try:
        errors = aggregator.TELEMETRY.errors_total
        with contextlib.suppress(RuntimeError):
            await aggregator.flush(db)
        assert aggregator.TELEMETRY.errors_total == errors + 1
        assert "crash after the upserts" in (aggregator.TELEMETRY.last_error or "")
    finally:
        aggregator._quotas = original  # type: ignore[assignment]
    assert await rollups(db) == []
    pending = await rows(
        db, sa.select(USAGE_EVENTS.c.seq).where(USAGE_EVENTS.c.flush_batch.is_(None))
    )
    assert len(pending) == 3
    await flush_all(db)
    assert [row[3:] for row in await rollups(db)] == [(6, 3)]


async def test_racing_aggregators_count_every_event_once(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    await metric(db, "users", Aggregation.UNIQUE_COUNT)
    secret = await api_key(gql, world)
    for _batch in range(6):
        events = [{"metric": "calls", "quantity": n % 7} for n in range(500)]
        events += [
            {"metric": "users", "quantity": 1, "properties": {"value": f"u{n % 37}"}}
            for n in range(100)
        ]
        assert (await send(client, secret, events)).status_code == 202

    async def worker() -> int:
        total = 0
        while True:
            done = await aggregator.flush_once(db, limit=97)
            total += done.events
            if done.events == 0:
                return total

    # Four flushers at once (on PostgreSQL each on its own connection, skipping locked rows).
    totals = await asyncio.gather(*(worker() for _ in range(4)))
    assert sum(totals) == 3600
    expected_calls = 6 * sum(n % 7 for n in range(500))
    assert [row[2:] for row in await rollups(db)] == [
        ("calls", expected_calls, 3000),
        ("users", 37, 600),
    ]
    assert [row[2:] for row in await rollups(db, "HOUR")] == [
        ("calls", expected_calls, 3000),
        ("users", 37, 600),
    ]


async def test_seeded_usage_is_rolled_up(world: World, db: Database) -> None:
    from app.ops.usage_seed import seed_usage

    assert await seed_usage(db, 300, seed=3) == 300
    assert await event_count(db) == 300
    assert sum(row[4] for row in await rollups(db)) == 300
    assert sum(row[4] for row in await rollups(db, "HOUR")) == 300
