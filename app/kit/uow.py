"""The unit of work: one transaction, who acts in it, what they may reach, what it recorded.

Every change (a mutation, a REST call, a CLI command, a background loop's step) runs as one
unit of work through `Database.run` (`app/db.py`), its one owner: services receive it, change
rows through `uow.session`, record audit events with `uow.record(...)`, and never commit. The
owner appends the recorded events to the audit chain (the journal) in the same transaction and
commits once, so a change and its audit event exist together or not at all; on a dry run or a
business failure it rolls everything back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.actor import Actor
from app.kit.jsonutil import to_jsonable
from app.kit.redaction import diff
from app.kit.scope import RowScope


@dataclass(frozen=True, slots=True)
class PendingEvent:
    action: str
    target_type: str
    target_id: str | None
    customer_id: uuid.UUID | None
    diff: dict[str, Any]
    actor: Actor | None = None  # None: the unit of work's actor


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An event for the outside world (customer webhooks, mail), sent only once committed."""

    event_type: str
    data: dict[str, Any]
    customer_id: uuid.UUID | None


Hook = Callable[["UnitOfWork"], Awaitable[None]]


@dataclass
class UnitOfWork:
    session: AsyncSession
    actor: Actor
    row_scope: RowScope
    dialect: str
    dry_run: bool = False
    events: list[PendingEvent] = field(default_factory=list)
    # Written to the transactional outbox in this unit of work's transaction (`Outbox`).
    messages: list[OutboxMessage] = field(default_factory=list)
    # Work that must persist even when this unit of work fails (a failed login is counted
    # although the login itself changes nothing); run afterwards in a fresh unit of work.
    on_failure: list[Hook] = field(default_factory=list)
    # Last writes of a unit of work that is about to commit (an idempotency record holding its
    # result); skipped on dry runs and failures.
    before_commit: list[Hook] = field(default_factory=list)
    # Work that needs the change committed first (waking a dispatcher); never on a dry run.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Customers whose subscribers are told at commit (`app/kit/hooks.py`), each once.
    changed_customers: set[uuid.UUID] = field(default_factory=set)
    # Undoing what an outside system already did for this work (a Stripe customer created)
    # when the work then does not commit: any error, a failed commit, or a dry run. Each runs
    # afterwards in a fresh unit of work of its own, so it can record what it undid; one that
    # fails is logged and does not hide the error of the work (`app/billing/gateway/
    # stripe_compensation.py` is the rule written down).
    compensations: list[Hook] = field(default_factory=list)
    # The mutation's `idempotencyKey`, scoped to its caller and operation (`provider_key`),
    # for work that forwards it to an outside system (Stripe replays a repeated key); None
    # when the mutation sent none, on a dry run, and outside mutations.
    idempotency_key: str | None = None

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
        actor: Actor | None = None,
    ) -> None:
        # The diff is taken now: the objects it describes may change later in the same work.
        changes = diff(to_jsonable(dict(before or {})), to_jsonable(dict(after or {})))
        self.events.append(
            PendingEvent(action, target_type, target_id, customer_id, changes, actor)
        )

    def publish(
        self, event_type: str, data: Mapping[str, Any], *, customer_id: uuid.UUID | None = None
    ) -> None:
        """Queue an outbox event (`subscription.updated`, …) that exists iff this work commits."""
        self.messages.append(OutboxMessage(event_type, to_jsonable(dict(data)), customer_id))


class Outbox(Protocol):
    """Where published messages go, in the unit of work's own transaction."""

    async def append(self, uow: UnitOfWork) -> None: ...


class Journal(Protocol):
    """Where recorded events go, in the unit of work's own transaction (the audit chain)."""

    async def append(self, uow: UnitOfWork) -> list[dict[str, Any]]: ...
