"""`logTest` (one entry, to check the pipeline end to end) and `logsPrune`."""

from __future__ import annotations

import sqlalchemy as sa
import strawberry

from app.graphql.context import Info
from app.graphql.logs.types import LogEntry, LogLevel
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.kit.uow import UnitOfWork
from app.logs import service
from app.logs.repository import LOG_ENTRY_MODEL


@strawberry.input
class LogTestInput:
    level: LogLevel = LogLevel.INFO
    message: str = strawberry.field(description="1 to 1,000 characters.")


@strawberry.type
class LogTestPayload(Payload):
    entry: LogEntry | None = None


@mutation(
    master_writer,
    "Write one log entry: stored at once (whatever the sample rate) and written on stdout.",
)
async def log_test(info: Info, input: LogTestInput, uow: UnitOfWork) -> LogTestPayload:
    entry_id = await service.write_test_entry(uow, input.level.value, input.message)
    statement = sa.select(*LOG_ENTRY_MODEL.columns()).where(LOG_ENTRY_MODEL.pk == entry_id)
    row = (await uow.session.execute(statement)).one()
    return LogTestPayload(entry=LogEntry.from_row(row))


@strawberry.input
class LogsPruneInput:
    retention_days: int = strawberry.field(
        description="Delete the entries older than this many days (at least 1)."
    )


@strawberry.type
class LogsPrunePayload(Payload):
    deleted: int = strawberry.field(
        default=0, description="Entries deleted (on a dry run: that would be deleted)."
    )


@mutation(master_writer, "Delete stored log entries older than `retentionDays`.")
async def logs_prune(info: Info, input: LogsPruneInput, uow: UnitOfWork) -> LogsPrunePayload:
    pruned = await service.prune(uow, input.retention_days)
    return LogsPrunePayload(deleted=pruned.deleted)
