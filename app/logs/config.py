"""The log settings an operator may change while the process runs.

`log_settings` is the one place they are read: the writer asks it for the sample rate every
few seconds, the retention loop for the retention before each prune. Today it reads the
process's environment settings; a runtime settings store answers here instead, without any
reader changing.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db import Database
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class LogSettings:
    retention_days: int  # logRetentionDays
    sample_rate: float  # logSampleRate: the share of INFO entries stored, 0 to 1


async def log_settings(db: Database, settings: Settings) -> LogSettings:
    return LogSettings(
        retention_days=settings.log_retention_days, sample_rate=settings.log_sample_rate
    )
