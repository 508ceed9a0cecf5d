"""Monthly partitions of `usage_events` on PostgreSQL (declarative `PARTITION BY RANGE
(occurred_at)`, migration 0015): created ahead by the aggregator's retention step, dropped
whole once past the retention. SQLite has no partitions; retention deletes rows there.

Partitions are named `usage_events_pYYYYMM` and cover [the month's first instant, the next
month's) in UTC. A default partition (`usage_events_default`) catches an event no monthly
partition covers yet (a loop that has not run for months), so ingest never fails for want of
one; creating the month's partition later moves such rows into it.

Every name and bound in the SQL here is made from a month (or read from the catalog and
matched against the partition name pattern), never taken from a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

PARENT = "usage_events"
DEFAULT = "usage_events_default"
AHEAD = 3  # this month and the next two
_NAME = re.compile(r"^usage_events_p(\d{4})(\d{2})$")
# One process at a time creates or drops partitions (any number may try).
_LOCK = 0x75736167  # "usag"


def month_start(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def name_of(start: datetime) -> str:
    return f"usage_events_p{start.year:04d}{start.month:02d}"


def is_partition(name: str) -> bool:
    """A partition's name (alembic's comparison leaves them out: the model is the parent)."""
    return name == DEFAULT or _NAME.match(name) is not None


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    start: datetime

    @property
    def end(self) -> datetime:
        return next_month(self.start)


async def monthly(connection: AsyncSession) -> list[Partition]:
    """The monthly partitions attached to the table, oldest first."""
    rows = await connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    )
    found = []
    for (name,) in rows:
        match = _NAME.match(name)
        if match:
            found.append(Partition(name, datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)))
    return sorted(found, key=lambda partition: partition.start)


def _bound(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


async def create(connection: AsyncSession, start: datetime) -> bool:
    """Attach the partition of the month starting at `start` unless it exists, moving into it
    any rows of that month the default partition caught. False: it was there."""
    name = name_of(start)
    if (await connection.execute(sa.text("SELECT to_regclass(:n)"), {"n": name})).scalar():
        return False
    low, high = _bound(start), _bound(next_month(start))
    await connection.execute(
        sa.text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    await connection.execute(
        sa.text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE occurred_at >= '{low}' "  # noqa: S608
            f"AND occurred_at < '{high}' RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        )
    )
    await connection.execute(
        sa.text(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')"
        )
    )
    return True


async def lock(connection: AsyncSession) -> None:
    """Until the transaction ends, be the one process changing the partitions."""
    await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})


async def ensure_ahead(connection: AsyncSession, now: datetime, months: int = AHEAD) -> int:
    """The partitions of this month and the next ones exist; how many were created."""
    await lock(connection)
    created = 0
    start = month_start(now)
    for _ in range(months):
        created += await create(connection, start)
        start = next_month(start)
    return created


async def drop_expired(connection: AsyncSession, cutoff: datetime) -> tuple[int, list[str]]:
    """Drop each monthly partition wholly before `cutoff` whose events are all rolled up:
    the events dropped, and the partitions still holding events not rolled up (left for the
    row-by-row prune)."""
    await lock(connection)
    dropped, kept = 0, []
    for partition in await monthly(connection):
        if partition.end > cutoff:
            break
        pending = await connection.execute(
            sa.text(f"SELECT 1 FROM {partition.name} WHERE flush_batch IS NULL LIMIT 1")  # noqa: S608
        )
        if pending.first() is not None:
            kept.append(partition.name)
            continue
        counted = f"SELECT count(*) FROM {partition.name}"  # noqa: S608
        count = await connection.execute(sa.text(counted))
        dropped += int(count.scalar() or 0)
        await connection.execute(sa.text(f"DROP TABLE {partition.name}"))
    return dropped, kept
