"""Rules of the stored logs: a test entry, pruning by age (by hand and by the loop)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode, uuid7
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.logs import repository
from app.logs.pipeline import UNSTORED, row_of
from app.models.logs import LogEntry

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
MAX_TEST_MESSAGE = 1000
PRUNE_BATCH = 5000
test_log = logging.getLogger("app.logs.test")
RETENTION = Actor.system("log-retention")


MAX_RETENTION_DAYS = 36_500


def check_retention_days(days: int) -> None:
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise UserInputError(
            f"Keep between 1 and {MAX_RETENTION_DAYS} days of logs.",
            ErrorCode.INVALID,
            ["retentionDays"],
        )


async def write_test_entry(uow: UnitOfWork, level: str, message: str) -> uuid.UUID:
    """One entry, stored in this unit of work (so a dry run stores nothing) and written on
    stdout once it commits, like any other line."""
    if not message.strip():
        raise UserInputError("Say something.", ErrorCode.REQUIRED, ["message"])
    if len(message) > MAX_TEST_MESSAGE:
        raise UserInputError(
            f"At most {MAX_TEST_MESSAGE} characters.", ErrorCode.TOO_LONG, ["message"]
        )
    level_no = LEVELS[level]
    entry_id = uuid7()
    record = test_log.makeRecord(
        test_log.name,
        level_no,
        __file__,
        0,
        message,
        (),
        None,
        extra={"_admiral_log_id": entry_id, "source": "logTest"},
    )
    row: dict[str, Any] = row_of(record)
    await uow.session.execute(sa.insert(repository.LOGS), [row])
    uow.record(
        "log.test",
        "LogEntry",
        encode(LogEntry.PREFIX, entry_id),
        after={
            "level": level,
            "message": message,
        },
    )

    async def announce() -> None:
        # Already stored above: the pipeline leaves this copy out.
        test_log.log(
            level_no,
            message,
            extra={
                "source": "logTest",
                "log_id": encode(LogEntry.PREFIX, entry_id),
                UNSTORED: True,
            },
        )

    uow.after_commit.append(announce)
    return entry_id


@dataclass(frozen=True, slots=True)
class Pruned:
    deleted: int
    cutoff: Any


async def prune(uow: UnitOfWork, retention_days: int) -> Pruned:
    """Delete the entries older than `retention_days`; a dry run only counts them."""
    check_retention_days(retention_days)
    cutoff = clock.now() - timedelta(days=retention_days)
    if uow.dry_run:
        deleted = await repository.count_older_than(uow.session, cutoff)
    else:
        deleted = await repository.delete_older_than(uow.session, cutoff)
    uow.record(
        "logs.prune",
        "LogEntry",
        None,
        after={"retentionDays": retention_days, "deleted": deleted},
    )
    return Pruned(deleted, cutoff)


async def prune_in_batches(db: Database, retention_days: int) -> int:
    """The retention loop's prune: batches of `PRUNE_BATCH`, each its own short transaction,
    so a large backlog never holds a long lock. Safe in several processes at once (each
    batch deletes what is still there)."""
    cutoff = clock.now() - timedelta(days=min(max(retention_days, 1), MAX_RETENTION_DAYS))
    total = 0
    while True:

        async def work(uow: UnitOfWork) -> int:
            return await repository.delete_batch_older_than(uow.session, cutoff, PRUNE_BATCH)

        deleted = await db.run(work, actor=RETENTION, row_scope=EVERYTHING)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total
