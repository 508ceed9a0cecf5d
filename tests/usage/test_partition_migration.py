"""Migration 0015 with rows in place, on both engines: events and their sequence carried into
the monthly partitions (PostgreSQL), idempotency keys moved to their own table, and back."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate
from app.models.customers import Customer
from app.models.usage import USAGE_EVENTS, USAGE_IDEMPOTENCY_KEYS, UsageMetric
from app.usage import partitions
from tests.conftest import _postgres_database
from tests.test_migrations import postgres_reachable

C1, C2, METRIC = uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=21)
OCTOBER = datetime(2026, 10, 15, 12, tzinfo=UTC)


def run(url: str, *statements: tuple[Any, dict[str, Any]]) -> list[list[Any]]:
    async def go() -> list[list[Any]]:
        engine = create_async_engine(url)
        answers = []
        try:
            async with engine.begin() as connection:
                for text, values in statements:
                    statement = sa.text(text) if isinstance(text, str) else text
                    result = await connection.execute(statement, values)
                    answers.append(list(result.all()) if result.returns_rows else [])
        finally:
            await engine.dispose()
        return answers

    return asyncio.run(go())


def event(
    seq: int, customer: uuid.UUID, key: str | None, when: datetime
) -> tuple[Any, dict[str, Any]]:
    row = {
        "seq": seq,
        "customer_id": customer,
        "project_id": uuid.UUID(int=0),
        "metric_id": METRIC,
        "quantity": 1,
        "occurred_at": when,
        "hour_start": when,
        "day_start": when,
        "received_at": when,
        "idempotency_key": key,
    }
    return sa.insert(USAGE_EVENTS).values(row), {}


def migrate_with_rows(url: str) -> None:
    migrate.upgrade(url, "0014")
    now = datetime.now(UTC)
    parents = [
        (
            sa.insert(Customer.__table__).values(id=c, slug=f"c{c.int}", name="C", status="ACTIVE"),
            {},
        )
        for c in (C1, C2)
    ]
    metric = sa.insert(UsageMetric.__table__).values(
        id=METRIC, code="calls", name="Calls", unit="calls", aggregation="SUM"
    )
    run(url, *parents, (metric, {}))
    run(url, event(1, C1, "a", OCTOBER), event(2, C1, None, now), event(3, C2, "a", now))
    if url.startswith("postgresql"):
        run(url, ("SELECT setval(pg_get_serial_sequence('usage_events', 'seq'), 3)", {}))
    migrate.upgrade(url)
    migrate.check(url)
    count, keys = run(
        url,
        ("SELECT count(*), max(seq) FROM usage_events", {}),
        (
            sa.select(
                USAGE_IDEMPOTENCY_KEYS.c.customer_id, USAGE_IDEMPOTENCY_KEYS.c.idempotency_key
            ),
            {},
        ),
    )
    assert tuple(count[0]) == (3, 3)
    assert sorted((row[0], row[1]) for row in keys) == [(C1, "a"), (C2, "a")]
    if url.startswith("postgresql"):
        (names,) = run(
            url,
            (
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'usage_events'::regclass",
                {},
            ),
        )
        found = {row[0] for row in names}
        month = partitions.month_start(now)
        expected = {"usage_events_default", "usage_events_p202610"}
        for _ in range(partitions.AHEAD):
            expected.add(partitions.name_of(month))
            month = partitions.next_month(month)
        assert expected <= found
        (octobers,) = run(url, ("SELECT count(*) FROM usage_events_p202610", {}))
        assert octobers[0][0] == 1
        # The sequence carried over: the next event follows the old ones.
        (added,) = run(
            url,
            (
                "INSERT INTO usage_events (customer_id, project_id, metric_id, quantity, "
                "occurred_at, hour_start, day_start, received_at) VALUES "
                "(:c, :c, :m, 1, now(), now(), now(), now()) RETURNING seq",
                {"c": C1, "m": METRIC},
            ),
        )
        assert added[0][0] == 4
        run(url, ("DELETE FROM usage_events WHERE seq = 4", {}))
    migrate.downgrade(url, "0014")
    (count,) = run(url, ("SELECT count(*) FROM usage_events", {}))
    assert count[0][0] == 3
    with pytest.raises(sa.exc.IntegrityError):  # the unique index is back
        run(url, event(9, C1, "a", OCTOBER))
    migrate.upgrade(url)
    migrate.check(url)


def test_on_sqlite(tmp_path: Path) -> None:
    migrate_with_rows(f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}")


def test_on_postgres() -> None:
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    fresh = contextmanager(_postgres_database)
    with fresh(f"admiral_partitions_{uuid.uuid4().hex[:10]}") as url:
        migrate_with_rows(url)
