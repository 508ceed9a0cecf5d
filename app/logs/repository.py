"""SQL for stored logs: the `LogEntry` read model, the error groups, retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.pagination import Cursor
from app.kit.readmodel import ReadModel, registry, row_filter, staff_only
from app.models.base import UTCDateTime
from app.models.logs import LogEntry
from app.models.tables import table_of

LOGS = table_of(LogEntry)
c = LOGS.c


def _at_or_after(value: datetime) -> sa.ColumnElement[bool]:
    return c.created_at >= sa.literal(value, UTCDateTime())


def _before(value: datetime) -> sa.ColumnElement[bool]:
    return c.created_at < sa.literal(value, UTCDateTime())


def _search(text: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(c.message).contains(text.lower(), autoescape=True)


LOG_ENTRY_MODEL = registry.register(
    ReadModel(
        name="LogEntry",
        table=LOGS,
        prefix=LogEntry.PREFIX,
        fields={
            "createdAt": "created_at",
            "level": "level",
            "logger": "logger",
            "message": "message",
            "requestId": "request_id",
            "operationName": "operation_name",
            "principalId": "principal_id",
            "principalKind": "principal_kind",
            "durationMs": "duration_ms",
            "data": "data",
            "errorType": "error_type",
            "errorPlace": "error_place",
            "fingerprint": "fingerprint",
            "stack": "stack",
        },
        # Platform logs: masters only (a session admin never reaches a row).
        scope=staff_only,
        filters={
            "min_level": row_filter(lambda value: c.level_no >= value),
            "from_": row_filter(_at_or_after),
            "to": row_filter(_before),
            "search": row_filter(_search),
            "request_id": row_filter(lambda value: c.request_id == value),
            "operation_name": row_filter(lambda value: c.operation_name == value),
            "fingerprint": row_filter(lambda value: c.fingerprint == value),
        },
        orderings={"CREATED_AT": c.created_at},
        default_ordering="CREATED_AT",
    )
)


# ---------------------------------------------------------------- error groups

GROUP_SORT = "_last_seen"


def _error_rows(start: datetime | None, end: datetime | None) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [c.fingerprint.is_not(None)]
    if start is not None:
        conditions.append(_at_or_after(start))
    if end is not None:
        conditions.append(_before(end))
    return conditions


def error_groups_statement(
    start: datetime | None, end: datetime | None, first: int, after: Cursor | None
) -> sa.Select[Any]:
    """A page of error groups (+1 row), the most recently seen first: one GROUP BY over the
    entries carrying an exception, then the newest entry of each group for its title and
    sample request (a correlated lookup on the (fingerprint, created_at) index)."""
    last_seen = sa.func.max(c.created_at).label("last_seen")
    groups = (
        sa.select(
            c.fingerprint,
            sa.func.count().label("count"),
            sa.func.min(c.created_at).label("first_seen"),
            last_seen,
        )
        .where(*_error_rows(start, end))
        .group_by(c.fingerprint)
    )
    if after is not None:
        bound_time = sa.literal(after.value, UTCDateTime())
        bound_key = sa.literal(after.id.hex)
        groups = groups.having(
            sa.or_(
                sa.func.max(c.created_at) < bound_time,
                sa.and_(sa.func.max(c.created_at) == bound_time, c.fingerprint < bound_key),
            )
        )
    grouped = groups.subquery("groups")
    sample = LOGS.alias("sample")
    latest = LOGS.alias("latest")
    newest = (
        sa.select(latest.c.id)
        .where(
            latest.c.fingerprint == grouped.c.fingerprint,
            latest.c.created_at == grouped.c.last_seen,
        )
        .order_by(latest.c.id.desc())
        .limit(1)
        .correlate(grouped)
        .scalar_subquery()
    )
    return (
        sa.select(
            grouped.c.fingerprint,
            grouped.c.count,
            sa.type_coerce(grouped.c.first_seen, UTCDateTime()).label("first_seen"),
            sa.type_coerce(grouped.c.last_seen, UTCDateTime()).label("last_seen"),
            sample.c.error_type,
            sample.c.error_place,
            sample.c.message,
            sample.c.request_id,
        )
        .join_from(grouped, sample, sample.c.id == newest)
        .order_by(grouped.c.last_seen.desc(), grouped.c.fingerprint.desc())
        .limit(first + 1)
    )


def error_groups_count_statement(start: datetime | None, end: datetime | None) -> sa.Select[Any]:
    return sa.select(sa.func.count(sa.distinct(c.fingerprint))).where(*_error_rows(start, end))


# ---------------------------------------------------------------- retention


def _older_than(cutoff: datetime) -> sa.ColumnElement[bool]:
    return c.created_at < sa.literal(cutoff, UTCDateTime())


async def count_older_than(session: AsyncSession, cutoff: datetime) -> int:
    found = await session.scalar(
        sa.select(sa.func.count()).select_from(LOGS).where(_older_than(cutoff))
    )
    return int(found or 0)


async def delete_older_than(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(sa.delete(LOGS).where(_older_than(cutoff)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_batch_older_than(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """At most `limit` entries older than `cutoff` (the oldest), deleted by id."""
    oldest = sa.select(c.id).where(_older_than(cutoff)).order_by(c.created_at).limit(limit)
    result = await session.execute(sa.delete(LOGS).where(c.id.in_(oldest.scalar_subquery())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
