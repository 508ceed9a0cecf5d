"""Units of work and the audit trail written inside them.

A service records what it changed with `uow.record(...)`; the owner of the unit of work calls
`uow.finish()` right before committing, which appends the events to the hash chain in the same
transaction, so a change and its audit event exist together or not at all. Events are appended
at the end, not as they are recorded, to hold the chain lock for as short a time as possible.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.chain import GENESIS_HASH, diff, event_hash
from app.kit import clock
from app.kit.actor import Actor
from app.kit.ids import uuid7
from app.kit.jsonutil import to_jsonable
from app.kit.readmodel import ReadModel
from app.kit.scope import RowScope


@dataclass(frozen=True, slots=True)
class PendingEvent:
    action: str
    target_type: str
    target_id: str | None
    customer_id: uuid.UUID | None
    diff: dict[str, Any]


@dataclass
class UnitOfWork:
    session: AsyncSession
    actor: Actor
    dialect: str
    scope: RowScope
    dry_run: bool = False
    events: list[PendingEvent] = field(default_factory=list)
    # Work that must persist even when this unit of work fails (a failed login is counted
    # although the login itself changes nothing); run afterwards in a fresh unit of work.
    on_failure: list[Callable[[UnitOfWork], Awaitable[None]]] = field(default_factory=list)

    def act_as(self, actor: Actor) -> None:
        """Attribute the rest of this work to `actor` (a login acts as the user logging in)."""
        self.actor = actor

    def record(
        self,
        action: str,
        target_type: str,
        target_id: str | None,
        *,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        customer_id: uuid.UUID | None = None,
    ) -> None:
        changes = diff(to_jsonable(dict(before or {})), to_jsonable(dict(after or {})))
        self.events.append(PendingEvent(action, target_type, target_id, customer_id, changes))

    async def finish(self) -> list[dict[str, Any]]:
        """Append the recorded events to the chain; returns the rows written."""
        if not self.events:
            return []
        await repository.lock_chain(self.session, self.dialect)
        seq, prev_hash = await repository.chain_head(self.session)
        rows = []
        for event in self.events:
            seq += 1
            row = {
                "id": uuid7(),
                "seq": seq,
                "created_at": clock.now(),
                "actor_type": self.actor.type,
                "actor_id": self.actor.id,
                "impersonator_id": self.actor.impersonator_id,
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "customer_id": event.customer_id,
                "diff": event.diff,
                "request_id": self.actor.request_id,
                "client_addr": self.actor.client_addr,
                "prev_hash": prev_hash,
            }
            row["hash"] = prev_hash = event_hash(prev_hash, hash_content(row))
            rows.append(row)
        await repository.insert_events(self.session, rows)
        self.events.clear()
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


def audit_model() -> ReadModel:
    return repository.AUDIT_EVENT_MODEL
