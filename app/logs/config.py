"""The log settings an operator may change while the process runs.

`log_settings` is the one place they are read: the writer asks it for the sample rate every
few seconds, the retention loop for the retention before each prune. Both come from the
runtime settings (`settingUpdate`), whose defaults are the environment's.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Database
from app.runtime_settings import catalog, values
from app.runtime_settings.store import value
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class LogSettings:
    retention_days: int  # logRetentionDays
    sample_rate: float  # logSampleRate: the share of INFO entries stored, 0 to 1


async def log_settings(db: Database, settings: Settings) -> LogSettings:
    await values.refresh_log_settings(db)
    return LogSettings(
        retention_days=int(await value(db, catalog.LOG_RETENTION_DAYS, settings)),
        sample_rate=values.log_sample_rate(settings),
    )
