"""The stored-log pipeline: what a request's lines carry into the table, batches, the bounded
queue (drops counted), sampling, a failing writer, and the writer task's flush at close."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from app.db import Database
from app.logs.pipeline import BATCH_SIZE, UNSTORED, LogPipeline
from app.logs.repository import LOGS
from app.settings import Settings
from tests.conftest import make_settings
from tests.helpers import GraphQL, StatementCounter, World
from tests.logs.support import stored

log = logging.getLogger("app.test")


async def test_a_requests_access_line_is_stored_with_its_context(
    gql: GraphQL, world: World, db: Database, pipeline: LogPipeline
) -> None:
    response = await gql(
        "query Whoami { me { scope } }", token=world.master, headers={"X-Request-Id": "req-42"}
    )
    assert response.status == 200
    assert await pipeline.flush() >= 1

    [line] = await stored(db, LOGS.c.logger == "app.access")
    assert line.request_id == "req-42"
    assert line.operation_name == "Whoami"
    assert line.principal_kind == "MASTER_KEY"
    assert line.principal_id.startswith("mky_")
    assert line.level == "INFO"
    assert line.duration_ms > 0
    assert line.data["status"] == 200
    assert line.data["outcome"] == "ok"
    assert line.message.startswith("POST /graphql 200 ")


async def test_entries_are_written_in_batches(
    db: Database, pipeline: LogPipeline, statements: StatementCounter
) -> None:
    log.info("alone")
    with statements.measure():
        assert await pipeline.flush() == 1
    one = statements.count
    for number in range(BATCH_SIZE + 3):
        log.info("line %d", number)
    assert pipeline.pending == BATCH_SIZE + 3
    with statements.measure():
        assert await pipeline.flush() == BATCH_SIZE + 3
    # One transaction with one INSERT per batch of BATCH_SIZE, whatever its size.
    assert statements.count == 2 * one
    assert pipeline.pending == 0
    assert len(await stored(db, LOGS.c.logger == "app.test")) == BATCH_SIZE + 4


async def test_a_full_queue_drops_new_entries_and_counts_them(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    small = LogPipeline(db, settings.model_copy(update={"log_queue_size": 3}))
    small.install()
    try:
        with caplog.at_level(logging.INFO):
            for number in range(5):
                log.warning("line %d", number)
    finally:
        small.uninstall()
    assert (small.pending, small.stats.dropped, small.stats.queued) == (3, 2, 3)
    await small.flush()
    assert [row.message for row in await stored(db)] == ["line 0", "line 1", "line 2"]
    assert small.stats.written == 3


async def test_info_entries_are_sampled_warnings_always_kept(
    db: Database, pipeline: LogPipeline
) -> None:
    pipeline.sample_rate = 0.0
    log.info("routine")
    log.warning("worth keeping")
    log.debug("never stored")
    await pipeline.flush()
    assert [row.message for row in await stored(db)] == ["worth keeping"]
    assert pipeline.stats.sampled_out == 1


async def test_a_failing_insert_loses_its_batch_counted_and_logs_without_feeding_itself(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A database without the logs table: every insert fails.
    empty = Database(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", tmp_path / "s"))
    broken = LogPipeline(empty, settings)
    broken.install()
    try:
        with caplog.at_level(logging.INFO):
            log.error("first")
            log.error("second")
            assert await broken.flush() == 0
    finally:
        broken.uninstall()
        await empty.dispose()
    assert broken.stats.failed == 2
    assert broken.pending == 0  # the writer's complaint was logged, not queued
    [complaint] = [r for r in caplog.records if r.name == "app.logs.pipeline"]
    assert "could not store 2 log entries" in complaint.getMessage()
    assert getattr(complaint, UNSTORED) is True


async def test_the_writer_task_stores_in_the_background_and_close_flushes(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    logs = LogPipeline(db, settings)
    with caplog.at_level(logging.INFO):
        logs.start()
        try:
            log.info("written behind")
            deadline = time.monotonic() + 10
            while not await stored(db):
                assert time.monotonic() < deadline, "the writer never wrote"
                await asyncio.sleep(0.05)
            log.info("written at close")
        finally:
            await logs.close()
        log.info("after close: not stored")
    assert [row.message for row in await stored(db)] == ["written behind", "written at close"]
    assert logs.handler not in logging.getLogger().handlers


async def test_offering_a_line_is_cheap(db: Database, pipeline: LogPipeline) -> None:
    """Not a timing test: the request's side does no I/O, only builds a row in memory."""
    record = log.makeRecord(log.name, logging.INFO, __file__, 1, "hello", (), None)
    pipeline.offer(record)
    assert pipeline.pending == 1
    assert await stored(db) == []


async def test_the_writer_rereads_the_sample_rate(db: Database, settings: Settings) -> None:
    logs = LogPipeline(db, settings)
    assert logs.sample_rate == 1.0
    logs.settings = settings.model_copy(update={"log_sample_rate": 0.25})
    await logs._refresh_settings()
    assert logs.sample_rate == 0.25


async def test_nul_characters_do_not_lose_a_batch(db: Database, pipeline: LogPipeline) -> None:
    log.warning("nul \x00 inside", extra={"path": "/a\x00b"})
    log.warning("plain")
    assert await pipeline.flush() == 2
    rows = await stored(db)
    assert [row.message for row in rows] == ["nul \ufffd inside", "plain"]
    assert rows[0].data["path"] == "/a\ufffdb"
