"""Stored log rows written directly, for the query and retention tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit.ids import uuid7
from app.logs.repository import LOGS

LEVEL_NUMBERS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


async def add_entry(db: Database, at: datetime, level: str = "INFO", **fields: Any) -> Any:
    row: dict[str, Any] = {
        "id": uuid7(),
        "created_at": at,
        "level": level,
        "level_no": LEVEL_NUMBERS[level],
        "logger": "app.test",
        "message": "a line",
        "data": {},
    }
    row.update(fields)
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.insert(LOGS), [row])
    return row["id"]


async def stored(db: Database, *where: Any) -> list[Any]:
    async with db.write_engine.connect() as connection:
        result = await connection.execute(
            sa.select(LOGS).where(*where).order_by(LOGS.c.created_at, LOGS.c.id)
        )
        return list(result.all())
