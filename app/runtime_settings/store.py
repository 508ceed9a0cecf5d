"""Reading runtime settings: stored rows behind a small per-process cache.

Every read of a setting (each non-master mutation checks maintenance mode, each license
heartbeat its window) would otherwise cost a statement. The cache holds the rows of one
database (keyed by its URL, so every `Database` of a process on the same database shares
them) and is:

- dropped in this process as soon as a change commits (`forget_after_commit`), so the
  process that changed a setting sees it at once;
- reloaded after `TTL_SECONDS` everywhere else: other processes see a change within that
  time. A short TTL rather than a version check: the check would cost a statement on every
  read, which is what the cache is there to avoid, and a few seconds' delay is fine for what
  these keys control.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import Database
from app.kit.uow import UnitOfWork
from app.models.runtime_settings import RuntimeSetting
from app.runtime_settings.catalog import SPECS
from app.settings import Settings

TTL_SECONDS = 5.0
TABLE: sa.Table = RuntimeSetting.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Stored:
    value: Any
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True, slots=True)
class _Snapshot:
    rows: dict[str, Stored]
    loaded_at: float


_CACHE: dict[str, _Snapshot] = {}

Source = Database | AsyncSession


def _engine_of(source: Source) -> AsyncEngine:
    if isinstance(source, Database):
        return source.write_engine
    bind = source.bind
    assert isinstance(bind, AsyncEngine), "a unit of work's session is bound to its engine"
    return bind


def _key(source: Source) -> str:
    return str(_engine_of(source).url)


def _rows_of(result: Any) -> dict[str, Stored]:
    rows = {}
    for key, value, updated_at, updated_by in result:
        if key in SPECS and isinstance(value, dict) and "v" in value:
            rows[key] = Stored(value["v"], updated_at, updated_by)
    return rows


STATEMENT = sa.select(TABLE.c.key, TABLE.c.value, TABLE.c.updated_at, TABLE.c.updated_by)


async def stored(source: Source, *, fresh: bool = False) -> dict[str, Stored]:
    """The stored rows, from the cache when it is young enough.

    A session (a unit of work's) reads inside its own transaction; a `Database` reads on the
    primary's hot pool, never a replica, so a change counts at once."""
    key = _key(source)
    now = time.monotonic()
    found = _CACHE.get(key)
    if not fresh and found is not None and now - found.loaded_at < TTL_SECONDS:
        return found.rows
    if isinstance(source, Database):
        async with source.hot_read_engine.connect() as connection:
            rows = _rows_of((await connection.execute(STATEMENT)).all())
    else:
        rows = _rows_of((await source.execute(STATEMENT)).all())
    _CACHE[key] = _Snapshot(rows, now)
    return rows


async def value(source: Source, key: str, settings: Settings | None = None) -> Any:
    """The value of `key`: stored, else its default (`settings` gives the environment's)."""
    row = (await stored(source)).get(key)
    if row is not None:
        return row.value
    if settings is None and isinstance(source, Database):
        settings = source.settings
    return SPECS[key].default_for(settings)


def peek(key: str, settings: Settings) -> Any:
    """The value as last read by this process, without reading: for synchronous callers (a
    log handler). Before any read it is the default."""
    found = _CACHE.get(str(make_url(settings.database_url)))
    if found is not None and key in found.rows:
        return found.rows[key].value
    return SPECS[key].default_for(settings)


def forget(source: Source | None = None) -> None:
    """Drop the cache of one database (or all): the next read loads the rows again."""
    if source is None:
        _CACHE.clear()
    else:
        _CACHE.pop(_key(source), None)


def forget_after_commit(uow: UnitOfWork) -> None:
    key = _key(uow.session)

    async def drop() -> None:
        _CACHE.pop(key, None)

    uow.after_commit.append(drop)
