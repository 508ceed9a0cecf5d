"""Engines, the one runner of units of work, and the request-scoped reader.

Writes: one `AsyncSession` per unit of work (a mutation, a REST call, a CLI command, a step of a
background loop), run and committed once by `Database.run`. Reads: one `Reader` per request, a
single pooled connection behind a lock, because resolvers run concurrently and a connection
(or session) cannot serve two statements at once.

On SQLite, write transactions start with `BEGIN IMMEDIATE` so two writers queue on the busy
timeout instead of failing when one upgrades a read lock; reads use plain deferred `BEGIN`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Dialect, Result, Row
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

from app.kit.actor import Actor
from app.kit.errors import ServiceUnavailable, UserInputError
from app.kit.ids import sqlite_public_id
from app.kit.scope import RowScope
from app.kit.uow import Journal, Outbox, UnitOfWork
from app.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (PoolTimeoutError, OSError, TimeoutError)
# PostgreSQL's query_canceled (statement_timeout) and lock_not_available (lock_timeout): the
# database is too slow or too locked to answer now, not the query wrong; a retry may succeed.
TIMED_OUT_SQLSTATES = frozenset({"57014", "55P03"})


def is_timed_out(error: BaseException) -> bool:
    """True when PostgreSQL cancelled the statement on its statement or lock timeout."""
    return isinstance(error, DBAPIError) and (
        getattr(error.orig, "sqlstate", None) in TIMED_OUT_SQLSTATES
    )


def is_unavailable(error: BaseException) -> bool:
    """True for failures that mean "the database cannot be reached", not "the query is wrong"."""
    if isinstance(error, UNAVAILABLE_ERRORS) or is_timed_out(error):
        return True
    if isinstance(error, (OperationalError, InterfaceError)):
        message = str(error.orig if error.orig is not None else error).lower()
        return any(
            marker in message
            for marker in ("connect", "connection", "timeout", "unable to open", "shutting down")
        )
    return isinstance(error, DBAPIError) and error.connection_invalidated


AUTH_TABLES = frozenset({"master_keys", "login_sessions", "users", "memberships"})
_WRITE = re.compile(r'\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
# Recording a credential's use (`last_used_at`, `last_seen_at`, and nothing else set) changes
# no authentication's outcome: it leaves cached principals standing. Counted as a change, each
# touch dropped every entry while requests were in flight, and they all looked their
# principal up again.
_TOUCH = re.compile(
    r'\s*UPDATE\s+"?(?:master_keys|login_sessions|users)"?\s+SET\s+last_(?:used|seen)_at\s*='
    r"[^,]*?\sWHERE\s",
    re.IGNORECASE,
)


class AuthGeneration:
    """Counts writes to what authentication reads (keys, sessions, users, memberships).

    Cached principals remember the generation they were read at and are trusted only while
    it stands, so a revocation (or a suspension, a role change) counts on the next request.
    Bumped when such a statement runs and again when its transaction commits: a principal
    read between the two, seeing the old rows, is stale by the commit.
    """

    def __init__(self) -> None:
        self.value = 0
        # Connections with such a write in their open transaction. Nothing is read from the
        # connection itself: on a dead one even `info` raises, inside a rollback.
        self._written: weakref.WeakSet[Any] = weakref.WeakSet()

    def on_execute(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement[:1] not in ("U", "I", "D", "u", "i", "d"):
            return
        match = _WRITE.match(statement)
        if match is not None and match.group(1) in AUTH_TABLES and not _TOUCH.match(statement):
            self.value += 1
            self._written.add(connection)

    def on_commit(self, connection: Any) -> None:
        if connection in self._written:
            self._written.discard(connection)
            self.value += 1

    def on_rollback(self, connection: Any) -> None:
        self._written.discard(connection)


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
        # Public ids for SQL that builds JSON (the compiled read path).
        dbapi_connection.create_function("admiral_id", 2, sqlite_public_id, deterministic=True)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def postgres_connect_args(settings: Settings) -> dict[str, Any]:
    """asyncpg's arguments: a bounded connect, and the statement and lock timeouts set at
    connection start (no round trip per transaction), so a slow or locked database answers
    SERVICE_UNAVAILABLE within a known time instead of piling requests up."""
    server_settings = {
        "statement_timeout": str(max(0, settings.database_statement_timeout_ms)),
        "lock_timeout": str(max(0, settings.database_lock_timeout_ms)),
    }
    return {"timeout": settings.database_pool_timeout, "server_settings": server_settings}


def _postgres_engine(url: str, settings: Settings) -> AsyncEngine:
    # Without the pre-ping a dead connection is still dropped: asyncpg reports it closed, the
    # dialect's `is_disconnect` says so, and SQLAlchemy invalidates it (and the pool's older
    # connections, which died with it) when its statement fails.
    return create_async_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=settings.database_pool_pre_ping,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_args=postgres_connect_args(settings),
    )


def _postgres_reader_engine(url: str, settings: Settings) -> AsyncEngine:
    """Reads on PostgreSQL: autocommit and no pre-ping, so a read is one round trip instead
    of four (the ping's BEGIN, `;`, ROLLBACK, then BEGIN … ROLLBACK around the statement).

    Under READ COMMITTED every statement takes its own snapshot anyway, so leaving out the
    transaction changes nothing a reader sees. A connection found dead (a restarted server,
    a terminated backend) is invalidated by SQLAlchemy, with the rest of the pool, and the
    `Reader` retries its statement once on a fresh one."""
    return create_async_engine(
        url,
        hide_parameters=True,
        isolation_level="AUTOCOMMIT",
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_args=postgres_connect_args(settings),
    )


@asynccontextmanager
async def snapshot_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside one REPEATABLE READ transaction, for streamed reads: a server-side
    cursor needs a transaction (the PostgreSQL read engine autocommits), and a long export
    then reads one consistent snapshot."""
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            yield connection


def create_engine_for(url: str, settings: Settings, *, writer: bool) -> AsyncEngine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings, "BEGIN IMMEDIATE" if writer else "BEGIN")
    if not writer:
        return _postgres_reader_engine(url, settings)
    return _postgres_engine(url, settings)


class Database:
    def __init__(
        self, settings: Settings, journal: Journal | None = None, outbox: Outbox | None = None
    ) -> None:
        self.settings = settings
        # The audit chain, given by whoever builds the process's runtime (`app/runtime.py`):
        # this module sits below the audit trail and cannot import it.
        self.journal = journal
        # The transactional outbox, given the same way; without one, publishing is refused.
        self.outbox = outbox
        self.is_sqlite = settings.is_sqlite
        self.dialect = "sqlite" if self.is_sqlite else "postgresql"
        self.write_engine = create_engine_for(settings.database_url, settings, writer=True)
        read_url = settings.database_read_url or settings.database_url
        self.read_engine = create_engine_for(read_url, settings, writer=False)
        self.statements = StatementCounter()
        for engine in {self.write_engine, self.read_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self.statements)
        self.auth_generation = AuthGeneration()
        writer = self.write_engine.sync_engine
        event.listen(writer, "before_cursor_execute", self.auth_generation.on_execute)
        event.listen(writer, "commit", self.auth_generation.on_commit)
        event.listen(writer, "rollback", self.auth_generation.on_rollback)
        self._sessions = async_sessionmaker(
            self.write_engine, expire_on_commit=False, autoflush=False
        )
        self._hot_engine: AsyncEngine | None = None

    @property
    def hot_read_engine(self) -> AsyncEngine:
        """For single-row reads on a hot path (API key verification): the primary, never a
        replica (a revocation must count at once). On PostgreSQL a pool of its own, in
        autocommit and without the pre-ping, so one read is one round trip instead of four
        (ping: BEGIN, `;`, ROLLBACK), and without overflow connections; a connection found
        dead is dropped by the pool and the caller retries once (`is_unavailable`). On SQLite
        the reader (plain BEGIN)."""
        if self.is_sqlite:
            return self.read_engine
        if self._hot_engine is None:
            settings = self.settings
            self._hot_engine = create_async_engine(
                settings.database_url,
                hide_parameters=True,
                isolation_level="AUTOCOMMIT",
                # No overflow: past the pool, a read waits a moment for a connection rather
                # than opening one and closing it again (measured: connecting then cost more
                # than the reads themselves at 16 concurrent requests).
                pool_size=settings.database_pool_size,
                max_overflow=0,
                pool_timeout=settings.database_pool_timeout,
                connect_args=postgres_connect_args(settings),
            )
            event.listen(self._hot_engine.sync_engine, "before_cursor_execute", self.statements)
        return self._hot_engine

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[AsyncSession]:
        """A session on the writer; leaving the block without a commit rolls back.

        Changes go through `run`, which owns their unit of work; this is for reads that must
        see the writer (and for tests that set rows up)."""
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

    async def run(
        self,
        work: Callable[[UnitOfWork], Awaitable[T]],
        *,
        actor: Actor,
        row_scope: RowScope,
        dry_run: bool = False,
    ) -> T:
        """Run `work` as one unit of work, the only way a change is committed.

        The `before_commit` hooks run, then the recorded audit events are appended (journal)
        and the published messages written (outbox) in the same transaction, and it commits
        once; `after_commit` hooks follow. A dry run does everything but the hooks and the
        outbox and rolls back. A `UserInputError` rolls back, runs the
        `on_failure` work in a fresh unit of work, and propagates; so does any other error.
        Whenever the work does not commit, its `compensations` run afterwards, each in a fresh
        unit of work (once the failed work's session is closed: SQLite has one writer).
        """
        uow: UnitOfWork | None = None
        committed = False
        try:
            async with self.write_session() as session:
                uow = UnitOfWork(session, actor, row_scope, self.dialect, dry_run=dry_run)
                try:
                    result = await work(uow)
                    if not dry_run:
                        # Before the journal: what these hooks record and publish is kept too.
                        for hook in uow.before_commit:
                            await hook(uow)
                    await self._append_events(uow)
                    if dry_run:
                        await session.rollback()
                        return result
                    await self._append_messages(uow)
                    await session.commit()
                    committed = True
                except UserInputError:
                    await session.rollback()
                    await self._run_failure_work(uow)
                    raise
        finally:
            if uow is not None and not committed and uow.compensations:
                await self._compensate(uow)
        assert uow is not None  # set before the work ran, which returned
        for done in uow.after_commit:
            await done()
        return result

    async def _append_events(self, uow: UnitOfWork) -> None:
        if self.journal is not None:
            await self.journal.append(uow)
        elif uow.events:
            raise RuntimeError("audit events were recorded but this database has no journal")

    async def _append_messages(self, uow: UnitOfWork) -> None:
        if self.outbox is not None:
            await self.outbox.append(uow)
        elif uow.messages:
            raise RuntimeError("outbox messages were published but this database has no outbox")

    async def _run_failure_work(self, failed: UnitOfWork) -> None:
        # Failure work runs on dry runs too: it is protection (counting a failed login), and
        # skipping it would make `dryRun: true` an unthrottled password oracle.
        for hook in failed.on_failure:
            await self.run(hook, actor=failed.actor, row_scope=failed.row_scope)

    async def _compensate(self, failed: UnitOfWork) -> None:
        for hook in failed.compensations:
            try:
                await self.run(hook, actor=failed.actor, row_scope=failed.row_scope)
            except Exception:
                # The failed work's own error is the one the caller sees; this one is logged.
                log.exception("a compensation of a failed unit of work failed")

    def reader(self) -> Reader:
        return Reader(self.read_engine)

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._hot_engine is not None:
            await self._hot_engine.dispose()
            self._hot_engine = None
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


class Reader:
    """One connection per request for reads: opened on first use, one statement at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    async def all(self, statement: Executable) -> Sequence[Row[Any]]:
        return await self._run(lambda connection: connection.execute(statement))

    async def all_sql(self, sql: str, parameters: tuple[Any, ...]) -> Sequence[Row[Any]]:
        """A statement already compiled for this dialect, with its positional parameters:
        no compilation (nor cache key) per call."""
        return await self._run(lambda connection: connection.exec_driver_sql(sql, parameters))

    async def _run(
        self, run: Callable[[AsyncConnection], Awaitable[Result[Any]]]
    ) -> Sequence[Row[Any]]:
        async with self._lock:
            try:
                fresh = self._connection is None
                try:
                    return await self._execute(run)
                except DBAPIError as error:
                    # A pooled connection that died while idle (no pre-ping finds it): the
                    # pool is invalidated; one retry on a new connection.
                    if not (fresh and error.connection_invalidated):
                        raise
                    await self._discard()
                    return await self._execute(run)
            except Exception as error:
                if is_unavailable(error):
                    raise ServiceUnavailable(
                        "The database is unavailable; try again shortly."
                    ) from error
                raise

    async def _execute(
        self, run: Callable[[AsyncConnection], Awaitable[Result[Any]]]
    ) -> Sequence[Row[Any]]:
        if self._connection is None:
            self._connection = await self._engine.connect()
        result = await run(self._connection)
        return result.all()

    async def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await _cleanup("discard a dead read connection", connection.invalidate())
            await _cleanup("close a dead read connection", connection.close())

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
