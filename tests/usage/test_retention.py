"""Retention and, on PostgreSQL, the monthly partitions of the raw events: made ahead, old
ones dropped whole once rolled up, events of a month without a partition kept by the default
one and moved into the month's partition when it is made; idempotency keys across them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.usage import USAGE_IDEMPOTENCY_KEYS
from app.usage import aggregator, partitions
from tests.helpers import GraphQL, StatementCounter, World
from tests.support import rows
from tests.usage.support import api_key, at, event_count, flush_all, metric, rollups, send


async def _partitions(db: Database) -> dict[str, int]:
    """Each partition of usage_events and its rows (PostgreSQL)."""
    names = await rows(
        db,
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'usage_events'::regclass"
        ),
    )
    counts = {}
    for (name,) in names:
        counts[name] = (await rows(db, sa.text(f"SELECT count(*) FROM {name}")))[0][0]
    return counts


def _month(moment: datetime) -> str:
    return partitions.name_of(partitions.month_start(moment))


def test_partition_months() -> None:
    december = datetime(2026, 12, 1, tzinfo=UTC)
    assert partitions.next_month(december) == datetime(2027, 1, 1, tzinfo=UTC)
    assert partitions.name_of(december) == "usage_events_p202612"
    assert partitions.month_start(datetime(2027, 2, 28, 23, tzinfo=UTC)).day == 1
    assert partitions.is_partition("usage_events_p202612")
    assert partitions.is_partition("usage_events_default")
    assert not partitions.is_partition("usage_events")


async def _from_now_on(db: Database) -> None:
    """The partitions of this month and the next ones, none later (other tests travel)."""

    async def work(uow: UnitOfWork) -> None:
        await partitions.ensure_ahead(uow.session, clock.now())
        last = partitions.month_start(clock.now())
        for _ in range(partitions.AHEAD - 1):
            last = partitions.next_month(last)
        for partition in await partitions.monthly(uow.session):
            if partition.start > last:
                await uow.session.execute(sa.text(f"DROP TABLE {partition.name}"))

    await db.run(work, actor=aggregator.ACTOR, row_scope=EVERYTHING)


async def test_old_months_go_whole_and_new_ones_are_made(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    if db.dialect == "postgresql":
        await _from_now_on(db)
    await metric(db, "calls")
    secret = await api_key(gql, world)
    now = clock.now()
    await send(client, secret, [{"metric": "calls", "quantity": 2}] * 3)
    await flush_all(db)
    kept = await rollups(db)
    later = timedelta(days=401 + 62)
    with clock.travel(later):
        # A month no partition covers yet: the default partition keeps its events.
        response = await send(client, secret, [{"metric": "calls", "quantity": 5}])
        assert response.status_code == 202
        future = clock.now()
        if db.dialect == "postgresql":
            assert (await _partitions(db))["usage_events_default"] == 1
        assert await aggregator.prune(db, 400) == 3
        if db.dialect == "postgresql":
            found = await _partitions(db)
            assert _month(now) not in found  # dropped whole
            assert found["usage_events_default"] == 0  # moved into its month
            assert found[_month(future)] == 1
            months = [partitions.month_start(future)]
            for _ in range(partitions.AHEAD - 1):
                months.append(partitions.next_month(months[-1]))
            assert {partitions.name_of(m) for m in months} <= set(found)
        # Again: nothing more to do, and nothing breaks.
        assert await aggregator.prune(db, 400) == 0
    assert await event_count(db) == 1
    await flush_all(db)
    assert (await rollups(db))[: len(kept)] == kept  # rollups are kept


async def test_a_repeated_key_counts_once_across_months_and_racing_requests(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    old = clock.now() - timedelta(days=34)  # most likely another month's partition
    first = await send(
        client,
        secret,
        [{"metric": "calls", "quantity": 1, "idempotencyKey": "k", "timestamp": at(old)}],
    )
    assert first.json()["stored"] == 1
    # The same key with another time (another partition): still the same event.
    again = await send(client, secret, [{"metric": "calls", "quantity": 1, "idempotencyKey": "k"}])
    assert again.json() == {"received": 1, "stored": 0, "duplicates": 1}
    # Racing requests with one key: one of them stores it.
    racing = [
        {"metric": "calls", "quantity": 1, "idempotencyKey": "race"},
        {"metric": "calls", "quantity": 1},
    ]
    answers = await asyncio.gather(*(send(client, secret, racing) for _ in range(4)))
    assert sorted(a.json()["stored"] for a in answers) == [1, 1, 1, 2]
    assert await event_count(db) == 1 + 4 + 1
    assert len(await rows(db, sa.select(USAGE_IDEMPOTENCY_KEYS.c.idempotency_key))) == 2
    # Keys are remembered 40 days; then forgotten by the retention step.
    with clock.travel(aggregator.IDEMPOTENCY_KEPT + timedelta(days=1)):
        await aggregator.prune(db, 400)
    assert await rows(db, sa.select(USAGE_IDEMPOTENCY_KEYS.c.idempotency_key)) == []


@pytest.mark.parametrize("events", [1, 100])
async def test_ingest_runs_one_statement_beside_the_key(
    gql: GraphQL,
    world: World,
    db: Database,
    client: httpx.AsyncClient,
    statements: StatementCounter,
    events: int,
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    await send(client, secret, [{"metric": "calls", "quantity": 1}])  # metrics now known
    batch = [{"metric": "calls", "quantity": 1, "idempotencyKey": f"e{n}"} for n in range(events)]
    with statements.measure():
        response = await send(client, secret, batch)
    assert response.json()["stored"] == events
    # The key's lookup, then the events with their keys: one statement on PostgreSQL; on
    # SQLite (no data-modifying CTE) the keys go in a statement of their own.
    assert statements.count == (2 if db.dialect == "postgresql" else 5)
    with statements.measure():
        await send(client, secret, [{"metric": "calls", "quantity": 1}])
    assert statements.count == (2 if db.dialect == "postgresql" else 4)
