"""The licenses domain's background work: holding and releasing licenses as billing says.

Each step reads, in one statement, the customers whose licenses disagree with their
subscription (or whose past due state is not noted yet) and reconciles each in a unit of work
of its own. Safe in several processes: `reconcile` locks the customer's license rows and
changes only what still disagrees, so a second process finds nothing left to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from app.db import Database
from app.kit.loops import Loop
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.licenses.billing import ACTOR, candidates_statement, needs_reconcile, reconcile
from app.settings import Settings

INTERVAL_SECONDS = 60.0


async def reconcile_billing(db: Database, grace: timedelta) -> int:
    """One pass; how many licenses changed."""
    reader = db.reader()
    try:
        rows = await reader.all(candidates_statement())
    finally:
        await reader.close()
    changed = 0
    for row in rows:
        if needs_reconcile(row, grace):
            changed += await db.run(
                _work(row.customer_id, grace), actor=ACTOR, row_scope=EVERYTHING
            )
    return changed


def _work(customer_id: uuid.UUID, grace: timedelta) -> Callable[[UnitOfWork], Awaitable[int]]:
    async def work(uow: UnitOfWork) -> int:
        return await reconcile(uow, customer_id, grace)

    return work


def grace_of(settings: Settings) -> timedelta:
    return timedelta(days=settings.license_past_due_grace_days)


def loops(db: Database, settings: Settings) -> list[Loop]:
    grace = grace_of(settings)

    async def step() -> None:
        await reconcile_billing(db, grace)

    return [Loop("license-billing", INTERVAL_SECONDS, step)]
