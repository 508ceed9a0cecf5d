"""The audit trail: the journal every unit of work appends its events to, and its check.

A service records what it changed with `uow.record(...)` (`app/kit/uow.py`); the unit of work's
runner (`Database.run`) has this journal append the events to the hash chain in the same
transaction, right before committing, so a change and its audit event exist together or not at
all. `verify_chain` recomputes the chain.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.chain import GENESIS_HASH, event_hash
from app.kit import clock
from app.kit.ids import uuid7
from app.kit.uow import UnitOfWork


class AuditJournal:
    """The journal of every unit of work: its recorded events, appended to the hash chain in
    the unit of work's own transaction, right before it commits (to hold the chain lock for as
    short a time as possible)."""

    async def append(self, uow: UnitOfWork) -> list[dict[str, Any]]:
        """Append the recorded events to the chain; returns the rows written."""
        if not uow.events:
            return []
        await repository.lock_chain(uow.session, uow.dialect)
        seq, prev_hash = await repository.chain_head(uow.session)
        rows = []
        for event in uow.events:
            # A reaction of the system inside someone's work (billing suspending licenses) is
            # attributed to the system, with the request it happened in.
            actor = event.actor or uow.actor
            seq += 1
            row = {
                "id": uuid7(),
                "seq": seq,
                "created_at": clock.now(),
                "actor_type": actor.type,
                "actor_id": actor.id,
                "impersonator_id": actor.impersonator_id,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "customer_id": event.customer_id,
                "diff": event.diff,
                "request_id": actor.request_id or uow.actor.request_id,
                "client_addr": actor.client_addr or uow.actor.client_addr,
                "prev_hash": prev_hash,
            }
            row["hash"] = prev_hash = event_hash(prev_hash, hash_content(row))
            rows.append(row)
        await repository.insert_events(uow.session, rows)
        uow.events.clear()
        return rows


def hash_content(row: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an event's hash covers (everything but the hash itself)."""
    return {
        "id": str(row["id"]),
        "seq": row["seq"],
        "created_at": row["created_at"].isoformat(),
        "actor_type": str(row["actor_type"]),
        "actor_id": row["actor_id"],
        "impersonator_id": row["impersonator_id"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "customer_id": str(row["customer_id"]) if row["customer_id"] else None,
        "diff": row["diff"],
        "request_id": row["request_id"],
        "client_addr": row["client_addr"],
    }


@dataclass(frozen=True, slots=True)
class ChainVerification:
    ok: bool
    checked: int
    first_broken_id: uuid.UUID | None


async def verify_chain(session: AsyncSession, batch_size: int = 1000) -> ChainVerification:
    """Recompute every hash in order; the first event whose hash or link is wrong is reported."""
    checked = 0
    prev_hash = GENESIS_HASH
    last_seq = 0
    while True:
        rows = (await session.execute(repository.chain_batch_statement(last_seq, batch_size))).all()
        if not rows:
            return ChainVerification(True, checked, None)
        for row in rows:
            mapping = row._mapping
            expected = event_hash(prev_hash, hash_content(mapping))
            if row.prev_hash != prev_hash or row.hash != expected or row.seq != last_seq + 1:
                return ChainVerification(False, checked, row.id)
            checked += 1
            prev_hash = row.hash
            last_seq = row.seq
