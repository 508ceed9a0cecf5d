"""The stored logs' background work: pruning entries past the retention."""

from __future__ import annotations

from app.db import Database
from app.kit.loops import Loop
from app.logs import service
from app.logs.config import log_settings
from app.settings import Settings

RETENTION_INTERVAL_SECONDS = 3600.0


def loops(db: Database, settings: Settings) -> list[Loop]:
    async def step() -> None:
        # Read each time: the retention may be changed while the process runs.
        current = await log_settings(db, settings)
        await service.prune_in_batches(db, current.retention_days)

    return [Loop("log-retention", RETENTION_INTERVAL_SECONDS, step)]
