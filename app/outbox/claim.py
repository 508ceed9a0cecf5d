"""Claiming work safely when several processes dispatch at once.

Both claims are one `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …` statement:

- On PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`: rows another dispatcher is
  claiming are skipped, not waited for, and a row it claimed meanwhile is re-checked against
  the `WHERE` (PostgreSQL re-reads an updated row before locking it), so it drops out.
- On SQLite there is one writer at a time: the statement runs alone, and its conditions (no
  `dispatched_at`, no live lease) make a second claim of the same row match nothing.

Outbox events are claimed by setting `dispatched_at` in the transaction that also writes their
deliveries and mails: either all of it commits or the event stays pending. Deliveries and mails
are leased (`lease_token`, `lease_until`) in a short transaction of their own before they are
sent; the attempt is recorded under the same token afterwards. A dispatcher dying mid-send
leaves the lease to expire, and the next claim sends again: at least once, never lost, and
never twice while a lease lives (the lease outlasts the send's own timeouts).

A process stopping gives its live leases back (`HeldLeases.release`, run at shutdown): rows it
had claimed but not recorded are due again at once for another process, rather than after
the lease ran out.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.tables import OUTBOX_EVENTS


class HeldLeases:
    """The lease tokens this process holds, by table: added when a claim leased rows,
    dropped once the batch was recorded."""

    def __init__(self) -> None:
        self._held: dict[uuid.UUID, sa.Table] = {}

    def hold(self, table: sa.Table, token: uuid.UUID) -> None:
        self._held[token] = table

    def done(self, token: uuid.UUID) -> None:
        self._held.pop(token, None)

    def __len__(self) -> int:
        return len(self._held)

    def statements(self) -> list[sa.Update]:
        """Clear every held lease (each table's rows of those tokens); forgets them."""
        by_table: dict[str, tuple[sa.Table, list[uuid.UUID]]] = {}
        for token, table in self._held.items():
            by_table.setdefault(table.name, (table, []))[1].append(token)
        self._held.clear()
        return [
            sa.update(table)
            .where(table.c.lease_token.in_(tokens))
            .values(lease_token=None, lease_until=None)
            for table, tokens in by_table.values()
        ]


# One per process: the dispatchers of every application in it hold their leases here.
HELD = HeldLeases()


def _locked(select: sa.Select[Any], dialect: str) -> sa.Select[Any]:
    return select.with_for_update(skip_locked=True) if dialect == "postgresql" else select


async def claim_events(
    session: AsyncSession,
    dialect: str,
    where: sa.ColumnElement[bool],
    limit: int,
    now: datetime,
) -> Sequence[sa.Row[Any]]:
    """Mark up to `limit` pending outbox events matching `where` dispatched; return them."""
    events = OUTBOX_EVENTS.c
    pending = _locked(
        sa.select(events.id)
        .where(events.dispatched_at.is_(None), where)
        .order_by(events.created_at, events.id)
        .limit(limit),
        dialect,
    )
    statement = (
        sa.update(OUTBOX_EVENTS)
        .where(events.id.in_(pending.scalar_subquery()), events.dispatched_at.is_(None))
        .values(dispatched_at=now)
        .returning(events.id, events.event_type, events.customer_id, events.data, events.created_at)
    )
    rows = (await session.execute(statement)).all()
    return sorted(rows, key=lambda row: (row.created_at, row.id))


async def claim_due(
    session: AsyncSession,
    dialect: str,
    table: sa.Table,
    where: Sequence[sa.ColumnElement[bool]],
    limit: int,
    now: datetime,
    lease: timedelta,
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Lease up to `limit` due rows of `table` (a status `PENDING`, `next_attempt_at` passed,
    no live lease); the lease token and the leased ids."""
    columns = table.c
    token = uuid.uuid4()
    free = sa.or_(columns.lease_until.is_(None), columns.lease_until < now)
    due = _locked(
        sa.select(columns.id)
        .where(columns.status == "PENDING", columns.next_attempt_at <= now, free, *where)
        .order_by(columns.next_attempt_at, columns.id)
        .limit(limit),
        dialect,
    )
    statement = (
        sa.update(table)
        .where(columns.id.in_(due.scalar_subquery()), free)
        .values(lease_token=token, lease_until=now + lease)
        .returning(columns.id)
    )
    leased = list((await session.execute(statement)).scalars())
    if leased:
        HELD.hold(table, token)
    return token, leased
