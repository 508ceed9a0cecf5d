"""Stored logs, written behind: a handler queues, a background writer inserts in batches.

Every record at INFO and above that reaches the root logger is also offered to the
`LogPipeline`'s handler, which turns it into a row and appends it to a bounded in-process
queue; nothing else happens on the request's path (no I/O, no lock beyond the deque's). The
writer task takes up to `BATCH_SIZE` rows at a time and inserts each batch with one
statement. When the queue is full, new entries are dropped and counted (`dropped`, exported
on /metrics); INFO entries are stored only at the `logSampleRate` (WARNING and above always,
until the queue is full). `flush()` writes what is queued now; `close()` stops the writer
after a last flush (the application's shutdown calls it).

The writer's own failures are logged to stdout but never queued (they would feed on
themselves), and what it logs while inserting is not stored either.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from structlog.contextvars import get_contextvars

from app.db import Database
from app.kit.ids import uuid7
from app.logging import record_extras, record_message
from app.logs.config import log_settings
from app.logs.fingerprint import error_key
from app.models.logs import LogEntry
from app.settings import Settings

LOGS: sa.Table = LogEntry.__table__  # type: ignore[attr-defined]
log = logging.getLogger(__name__)

BATCH_SIZE = 500
FLUSH_INTERVAL_SECONDS = 0.5
SETTINGS_REFRESH_SECONDS = 10.0
MAX_MESSAGE = 4000
MAX_STACK = 20_000
MAX_DATA_VALUE = 1000
# Record attributes (`extra=`) steering the pipeline; their leading underscore keeps them
# out of the JSON lines.
UNSTORED = "_admiral_unstored"  # never stored (the writer's own complaints)
ALWAYS = "_admiral_always_store"  # stored whatever the sample rate
# Keys of the request context that have columns of their own.
_CONTEXT_COLUMNS = {
    "request_id": "request_id",
    "operation": "operation_name",
    "principal_id": "principal_id",
    "principal_kind": "principal_kind",
}

_writing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "admiral_log_writing", default=False
)


@dataclass
class LogStats:
    queued: int = 0  # accepted into the queue, in total
    written: int = 0
    dropped: int = 0  # the queue was full
    sampled_out: int = 0  # INFO entries left out by the sample rate
    failed: int = 0  # lost because their batch could not be inserted


def _text(value: str, limit: int) -> str:
    # PostgreSQL refuses NUL in text and JSON: one such line would lose its whole batch.
    return value[:limit].replace("\x00", "\ufffd")


def _short(value: Any) -> Any:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return _text(value if isinstance(value, str) else str(value), MAX_DATA_VALUE)


def row_of(record: logging.LogRecord) -> dict[str, Any]:
    """The `logs` row of one record, with the request's bound context."""
    extras = {**get_contextvars(), **record_extras(record)}
    row: dict[str, Any] = {
        # Given by the writer when absent (`_with_ids`): not the request's work.
        "id": getattr(record, "_admiral_log_id", None),
        "created_at": datetime.fromtimestamp(record.created, UTC),
        "level": record.levelname[:10],
        "level_no": record.levelno,
        "logger": record.name[:200],
        "message": _text(record_message(record), MAX_MESSAGE),
        "request_id": None,
        "operation_name": None,
        "principal_id": None,
        "principal_kind": None,
        "duration_ms": None,
        "error_type": None,
        "error_place": None,
        "fingerprint": None,
        "stack": None,
    }
    for key, column in _CONTEXT_COLUMNS.items():
        value = extras.pop(key, None)
        if isinstance(value, str):
            row[column] = _text(value, 100 if column == "operation_name" else 64)
    duration = extras.pop("duration_ms", None)
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        row["duration_ms"] = float(duration)
    row["data"] = {key: _short(value) for key, value in extras.items()}
    error = _exception_of(record)
    if error is not None:
        found = error_key(error)
        row["error_type"] = _text(found.error_type, 200)
        row["error_place"] = _text(found.place, 300)
        # Only errors are grouped (`errorGroups`): a warning with its exception (a fallback
        # that recovered, such as the compiled read path's) keeps its stack but is no error.
        if record.levelno >= logging.ERROR:
            row["fingerprint"] = found.fingerprint
        row["stack"] = _stack(error)
    return row


def _exception_of(record: logging.LogRecord) -> BaseException | None:
    exc_info: Any = record.exc_info
    if isinstance(record.msg, dict) and record.msg.get("exc_info"):
        exc_info = record.msg["exc_info"]
        if exc_info is True:
            exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3 and exc_info[1] is not None:
        error: BaseException = exc_info[1]
        return error
    return None


def _stack(error: BaseException) -> str:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return _text(text[-MAX_STACK:], MAX_STACK)


def _with_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        if row["id"] is None:
            row["id"] = uuid7()
    return rows


class StoringHandler(logging.Handler):
    def __init__(self, pipeline: LogPipeline) -> None:
        super().__init__(level=logging.INFO)
        self.pipeline = pipeline

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.pipeline.offer(record)
        except Exception:  # a log line must never break the code that writes it
            self.handleError(record)


class LogPipeline:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.capacity = settings.log_queue_size
        self.sample_rate = settings.log_sample_rate
        self.stats = LogStats()
        self.handler = StoringHandler(self)
        self._queue: deque[dict[str, Any]] = deque()
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- the request's side

    @property
    def pending(self) -> int:
        return len(self._queue)

    def offer(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO or _writing.get() or getattr(record, UNSTORED, False):
            return
        if (
            record.levelno < logging.WARNING
            and self.sample_rate < 1.0
            and not getattr(record, ALWAYS, False)
            and random.random() >= self.sample_rate
        ):
            self.stats.sampled_out += 1
            return
        if len(self._queue) >= self.capacity:
            self.stats.dropped += 1
            return
        self._queue.append(row_of(record))
        self.stats.queued += 1

    # -------------------------------------------------------------- installing

    def install(self) -> None:
        """Receive the root logger's records: INFO and above, of those the process logs at all
        (`ADMIRAL_LOG_LEVEL`)."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)

    def uninstall(self) -> None:
        logging.getLogger().removeHandler(self.handler)

    def start(self) -> None:
        """Install the handler and start the writer (the application's startup)."""
        self.install()
        self._stopping.clear()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="admiral-log-writer")

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Stop the writer after writing what is queued (the application's shutdown)."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=grace_seconds)
            except TimeoutError:
                self._task.cancel()
            self._task = None
        self.uninstall()
        await self.flush()

    # -------------------------------------------------------------- the writer

    async def _run(self) -> None:
        refreshed = 0.0
        while not self._stopping.is_set():
            if time.monotonic() - refreshed >= SETTINGS_REFRESH_SECONDS:
                refreshed = time.monotonic()
                await self._refresh_settings()
            await self.flush()
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=FLUSH_INTERVAL_SECONDS)
            except TimeoutError:
                continue

    async def _refresh_settings(self) -> None:
        try:
            self.sample_rate = (await log_settings(self.db, self.settings)).sample_rate
        except Exception:
            log.warning("could not read the log settings", exc_info=True, extra={UNSTORED: True})

    async def flush(self) -> int:
        """Write every entry queued now, in batches; the entries written."""
        written = 0
        async with self._lock:
            token = _writing.set(True)
            try:
                while self._queue:
                    size = min(BATCH_SIZE, len(self._queue))
                    batch = _with_ids([self._queue.popleft() for _ in range(size)])
                    try:
                        async with self.db.write_engine.begin() as connection:
                            await connection.execute(sa.insert(LOGS), batch)
                    except Exception:
                        self.stats.failed += len(batch)
                        log.warning(
                            "could not store %d log entries; they are lost",
                            len(batch),
                            exc_info=True,
                            extra={UNSTORED: True},
                        )
                        break
                    written += len(batch)
                    self.stats.written += len(batch)
            finally:
                _writing.reset(token)
        return written
