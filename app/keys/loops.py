"""The keys domain's background work: flushing the `lastUsedAt` buffer."""

from __future__ import annotations

from app.db import Database
from app.keys import repository
from app.keys.lastused import BUFFER, LastUsed
from app.kit.actor import Actor
from app.kit.loops import Loop
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.settings import Settings

FLUSH_INTERVAL_SECONDS = 5.0


async def flush_last_used(db: Database, buffer: LastUsed = BUFFER) -> int:
    """Write the buffered times in one unit of work (safe in several processes: each writes
    only its own notes, and never moves a time backwards); how many keys it touched."""
    pending = buffer.drain()
    if not pending:
        return 0

    async def write(uow: UnitOfWork) -> None:
        await repository.touch(uow.session, pending)

    try:
        await db.run(write, actor=Actor.system("keys-last-used"), row_scope=EVERYTHING)
    except Exception:
        buffer.restore(pending)
        raise
    return len(pending)


def loops(db: Database, settings: Settings) -> list[Loop]:
    async def step() -> None:
        await flush_last_used(db)

    return [Loop("keys-last-used", FLUSH_INTERVAL_SECONDS, step)]
