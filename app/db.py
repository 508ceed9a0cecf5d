"""Engines, units of work and the request-scoped reader.

Writes: one `AsyncSession` per unit of work (a mutation, a CLI command), committed once by its
owner. Reads: one `Reader` per request, a single pooled connection behind a lock, because
resolvers run concurrently and a connection (or session) cannot serve two statements at once.

On SQLite, write transactions start with `BEGIN IMMEDIATE` so two writers queue on the busy
timeout instead of failing when one upgrades a read lock; reads use plain deferred `BEGIN`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import Executable

from app.kit.errors import ServiceUnavailable
from app.settings import Settings

log = logging.getLogger(__name__)

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (PoolTimeoutError, OSError, TimeoutError)


def is_unavailable(error: BaseException) -> bool:
    """True for failures that mean "the database cannot be reached", not "the query is wrong"."""
    if isinstance(error, UNAVAILABLE_ERRORS):
        return True
    if isinstance(error, (OperationalError, InterfaceError)):
        message = str(error.orig if error.orig is not None else error).lower()
        return any(
            marker in message
            for marker in ("connect", "connection", "timeout", "unable to open", "shutting down")
        )
    return isinstance(error, DBAPIError) and error.connection_invalidated


class StatementCounter:
    """Counts statements sent to the database (tests assert on it; /metrics exports it)."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, *_: Any) -> None:
        self.total += 1


# Both engines keep bound values out of their exceptions (`hide_parameters`): those values come
# from requests, and an unexpected error is logged with its message and stack.


def _sqlite_engine(url: str, settings: Settings, begin: str) -> AsyncEngine:
    engine = create_async_engine(
        url,
        hide_parameters=True,
        connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _postgres_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_args={"timeout": settings.database_pool_timeout},
    )


def create_engine_for(url: str, settings: Settings, *, writer: bool) -> AsyncEngine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings, "BEGIN IMMEDIATE" if writer else "BEGIN")
    return _postgres_engine(url, settings)


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.is_sqlite = settings.is_sqlite
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"
        self.write_engine = create_engine_for(settings.database_url, settings, writer=True)
        read_url = settings.database_read_url or settings.database_url
        if read_url == settings.database_url and not self.is_sqlite:
            self.read_engine = self.write_engine
        else:
            self.read_engine = create_engine_for(read_url, settings, writer=False)
        self.statements = StatementCounter()
        for engine in {self.write_engine, self.read_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self.statements)
        self._sessions = async_sessionmaker(
            self.write_engine, expire_on_commit=False, autoflush=False
        )

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A write session; the caller commits. Leaving the block without a commit rolls back."""
        session = self._sessions()
        try:
            yield session
        except BaseException as error:
            # On a dead connection the rollback fails too; the error that matters is the first.
            await _cleanup("roll back a unit of work", session.rollback())
            if is_unavailable(error):
                raise ServiceUnavailable(
                    "The database is unavailable; try again shortly."
                ) from error
            raise
        finally:
            await _cleanup("close a unit of work", session.close())

    def reader(self) -> Reader:
        return Reader(self.read_engine)

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


class Reader:
    """One connection per request for reads: opened on first use, one statement at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def all(self, statement: Executable) -> Sequence[Row[Any]]:
        async with self._lock:
            try:
                if self._connection is None:
                    self._connection = await self._engine.connect()
                result = await self._connection.execute(statement)
                return result.all()
            except Exception as error:
                if is_unavailable(error):
                    raise ServiceUnavailable(
                        "The database is unavailable; try again shortly."
                    ) from error
                raise

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.all(statement)
        return rows[0][0] if rows else None

    async def close(self) -> None:
        """Give the connection back. Never raises: the answer is already built by now."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if not await _cleanup("close a request's read connection", connection.close()):
            # Not returned to the pool in a usable state: make sure the pool drops it.
            await _cleanup("discard a broken read connection", connection.invalidate())


async def _cleanup(what: str, step: Awaitable[None]) -> bool:
    """Run a cleanup step; a failure (a connection that died meanwhile) is logged, not raised,
    so it cannot turn a result, or the error being reported, into another error."""
    try:
        await step
    except Exception as error:
        log.warning("could not %s: %s", what, error.__class__.__name__)
        return False
    return True
