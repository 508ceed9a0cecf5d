"""The application's own shutdown hooks (`app/kit/shutdown.py`), bound to its database.

In order: the usage aggregator rolls up what is stored (so the rollups are current when the
process is gone), the API keys' `lastUsedAt` buffer is written (it lives in memory only), and
the deliveries and mails this process leased but did not record are given back, due at once
for another process.
"""

from __future__ import annotations

import logging

from app.db import Database
from app.keys.loops import flush_last_used
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.shutdown import HOOKS, Outcome, ShutdownHooks
from app.kit.uow import UnitOfWork
from app.outbox.claim import HELD, HeldLeases
from app.usage import aggregator

log = logging.getLogger(__name__)

ACTOR = Actor.system("shutdown")


async def release_leases(db: Database, held: HeldLeases = HELD) -> int:
    """Clear the leases `held` (this process's); how many rows became free."""
    statements = held.statements()
    if not statements:
        return 0

    async def work(uow: UnitOfWork) -> int:
        freed = 0
        for statement in statements:
            result = await uow.session.execute(statement)
            freed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return freed

    freed: int = await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    return freed


def register(hooks: ShutdownHooks, db: Database) -> None:
    async def flush_usage() -> None:
        await aggregator.flush(db)

    async def flush_keys() -> None:
        await flush_last_used(db)

    async def release() -> None:
        freed = await release_leases(db)
        if freed:
            log.info("released %d leased deliveries and mails for other processes", freed)

    hooks.register("usage-aggregator", flush_usage)
    hooks.register("keys-last-used", flush_keys)
    hooks.register("leases", release)


async def run(hooks: ShutdownHooks, timeout_seconds: float) -> list[Outcome]:
    """The application's hooks, then the process-wide ones, within `timeout_seconds`."""
    outcomes = await hooks.run(timeout_seconds)
    outcomes += await HOOKS.run(timeout_seconds)
    return outcomes
