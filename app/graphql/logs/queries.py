"""Stored logs and error groups: masters only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.logs.types import ErrorGroup, LogEntry, LogLevel
from app.graphql.pagination import Connection, Edge, PageInfo, paginate
from app.graphql.permissions import master_only
from app.graphql.root import query
from app.kit.errors import ErrorCode, RequestError
from app.kit.pagination import check_page_size, check_search, decode_cursor, encode_cursor
from app.logs.repository import (
    LOG_ENTRY_MODEL,
    error_groups_count_statement,
    error_groups_statement,
)
from app.logs.service import LEVELS

ERROR_GROUPS_CURSOR = "ErrorGroup:LAST_SEEN:desc"
MAX_ID_LENGTH = 64


@strawberry.input
class LogFilter:
    level: LogLevel | None = strawberry.field(default=None, description="This level and above.")
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")
    search: str | None = strawberry.field(
        default=None, description="Text in the message (case-insensitive, ≤ 100 characters)."
    )
    request_id: str | None = None
    operation_name: str | None = None
    fingerprint: str | None = strawberry.field(
        default=None, description="The entries of one error group."
    )


def _checked_id(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > MAX_ID_LENGTH:
        raise RequestError(
            f"`{name}` is at most {MAX_ID_LENGTH} characters.", ErrorCode.BAD_USER_INPUT
        )
    return value


@query(master_only, "Stored log entries (INFO and above), newest first.")
async def logs(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: LogFilter | None = None,
) -> Connection[LogEntry] | None:
    given = filter or LogFilter()
    filters: dict[str, Any] = {
        "min_level": LEVELS[given.level.value] if given.level is not None else None,
        "from_": given.from_,
        "to": given.to,
        "search": check_search(given.search),
        "request_id": _checked_id(given.request_id, "requestId"),
        "operation_name": _checked_id(given.operation_name, "operationName"),
        "fingerprint": _checked_id(given.fingerprint, "fingerprint"),
    }
    return await paginate(
        info,
        LOG_ENTRY_MODEL,
        LogEntry.from_row,
        first=first,
        after=after,
        filters=filters,
    )


@strawberry.input
class ErrorGroupFilter:
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Counts entries from this time (inclusive)."
    )
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")


def _title(error_type: str, message: str) -> str:
    short = error_type.rsplit(".", 1)[-1]
    return f"{short}: {message}"[:300]


@query(
    master_only,
    "Stored errors (unexpected exceptions) grouped by type and place, the most recently seen "
    "first; `from`/`to` choose which entries count.",
)
async def error_groups(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: ErrorGroupFilter | None = None,
) -> Connection[ErrorGroup] | None:
    given = filter or ErrorGroupFilter()
    size = check_page_size(first)
    cursor = decode_cursor(after, ERROR_GROUPS_CURSOR, datetime) if after else None
    reader = info.context.reader
    rows = await reader.all(error_groups_statement(given.from_, given.to, size, cursor))
    edges = [
        Edge(
            cursor=encode_cursor(
                ERROR_GROUPS_CURSOR, row.last_seen, uuid.UUID(hex=row.fingerprint)
            ),
            node=ErrorGroup(
                fingerprint=row.fingerprint,
                title=_title(row.error_type or "Error", row.message),
                error_type=row.error_type or "",
                place=row.error_place or "",
                count=int(row._mapping["count"]),
                first_seen=row.first_seen,
                last_seen=row.last_seen,
                sample_request_id=row.request_id,
            ),
        )
        for row in rows[:size]
    ]

    async def count() -> int:
        return int(await reader.scalar(error_groups_count_statement(given.from_, given.to)))

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=cursor is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
