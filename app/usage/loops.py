"""The usage domain's background work: the aggregator's flush and the retention prune."""

from __future__ import annotations

from datetime import datetime

from app.db import Database
from app.kit import clock
from app.kit.loops import Loop
from app.settings import Settings
from app.usage import aggregator
from app.usage.aggregator import PRUNE_EVERY, TELEMETRY


def loops(db: Database, settings: Settings) -> list[Loop]:
    TELEMETRY.enabled = True
    TELEMETRY.flush_interval_ms = settings.usage_flush_interval_ms
    last_prune: list[datetime] = []

    async def step() -> None:
        await aggregator.flush(db)
        now = clock.now()
        if not last_prune or now - last_prune[0] >= PRUNE_EVERY:
            last_prune[:] = [now]
            await aggregator.prune(db, settings.usage_retention_days)

    return [Loop("usage-aggregator", settings.usage_flush_interval_ms / 1000, step)]
