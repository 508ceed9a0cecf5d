"""The usage export: daily rollups as CSV rows, read from a server-side cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import Database, snapshot_connection
from app.kit.ids import encode
from app.kit.readmodel import within
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.customers import Customer
from app.models.projects import Project
from app.models.tables import CUSTOMERS
from app.models.usage import NO_PROJECT, USAGE_METRICS, USAGE_ROLLUPS, Granularity

HEADER = ("date", "customer_id", "customer", "project_id", "metric", "unit", "quantity", "events")
CHUNK = 1000


def statement(scope: RowScope, start: datetime, end: datetime) -> sa.Select[Any]:
    r, m = USAGE_ROLLUPS.c, USAGE_METRICS.c
    return (
        sa.select(
            sa.type_coerce(r.bucket_start, UTCDateTime()).label("day"),
            r.customer_id,
            CUSTOMERS.c.name,
            r.project_id,
            m.code,
            m.unit,
            r.quantity,
            r.event_count,
        )
        .select_from(
            USAGE_ROLLUPS.join(USAGE_METRICS, m.id == r.metric_id).join(
                CUSTOMERS, CUSTOMERS.c.id == r.customer_id
            )
        )
        .where(
            r.granularity == Granularity.DAY.value,
            r.bucket_start >= sa.literal(start, UTCDateTime()),
            r.bucket_start < sa.literal(end, UTCDateTime()),
            *within(r.customer_id, scope),
        )
        .order_by(r.bucket_start, r.customer_id, r.project_id, m.code)
    )


async def usage_rows(
    db: Database, scope: RowScope, start: datetime, end: datetime
) -> AsyncIterator[tuple[Any, ...]]:
    """One CSV row per daily rollup in [start, end), fetched `CHUNK` rows at a time."""
    async with snapshot_connection(db.read_engine) as connection:
        result = await connection.stream(
            statement(scope, start, end).execution_options(yield_per=CHUNK)
        )
        async for row in result:
            yield (
                row.day.date().isoformat(),
                encode(Customer.PREFIX, row.customer_id),
                row.name,
                "" if row.project_id == NO_PROJECT else encode(Project.PREFIX, row.project_id),
                row.code,
                row.unit,
                row.quantity,
                row.event_count,
            )
