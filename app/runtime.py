"""What lives for the whole process and is shared by every request, command and loop."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import app.keys.fanout
import app.licenses.billing  # noqa: F401  (subscribes the licenses to subscription changes)
from app.audit.service import AuditJournal
from app.auth.passwords import Passwords
from app.db import Database
from app.kit.shutdown import ShutdownHooks
from app.logs.pipeline import LogPipeline
from app.outbox.writer import OutboxWriter
from app.settings import Settings


def database(settings: Settings) -> Database:
    """The database with the audit chain as the journal of every unit of work and the
    transactional outbox for what it publishes."""
    return Database(
        settings,
        journal=AuditJournal(),
        outbox=OutboxWriter(settings.resolved_secret_key()),
    )


@dataclass
class Runtime:
    settings: Settings
    db: Database
    passwords: Passwords
    secret_key: str
    # Stored logs: started and closed with the application (`app/main.py`).
    logs: LogPipeline
    # What this application does before its process exits (`app/kit/shutdown.py`).
    shutdown: ShutdownHooks = field(default_factory=ShutdownHooks)
    started_monotonic: float = field(default_factory=time.monotonic)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        db = database(settings)
        return cls(
            settings=settings,
            db=db,
            passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_cost),
            secret_key=settings.resolved_secret_key(),
            logs=LogPipeline(db, settings),
        )
