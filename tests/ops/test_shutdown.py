"""Graceful shutdown: hooks, flushed buffers, released leases; a real `admiral serve` on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.shutdown import ShutdownHooks
from app.main import create_app
from app.models.tables import WEBHOOK_DELIVERIES
from app.settings import Settings
from tests.conftest import BACKEND, make_settings
from tests.helpers import World
from tests.support import rows
from tests.usage.test_processes import _prepared, _start
from tests.webhooks.support import endpoint, publish

# ---------------------------------------------------------------- the hook registry


async def test_hooks_run_in_order_and_one_failing_stops_none() -> None:
    hooks = ShutdownHooks()
    ran: list[str] = []

    async def first() -> None:
        ran.append("first")

    async def broken() -> None:
        ran.append("broken")
        raise RuntimeError("disk full")

    async def last() -> None:
        ran.append("last")

    hooks.register("first", first)
    hooks.register("broken", broken)
    hooks.register("last", last)
    outcomes = await hooks.run(5)
    assert ran == ["first", "broken", "last"]
    assert [(o.name, o.ok) for o in outcomes] == [
        ("first", True),
        ("broken", False),
        ("last", True),
    ]
    assert outcomes[1].error == "RuntimeError: disk full"


async def test_a_hung_hook_is_bounded_by_the_grace() -> None:
    hooks = ShutdownHooks()
    never = asyncio.Event()
    ran: list[str] = []

    async def hung() -> None:
        await never.wait()

    async def after() -> None:
        ran.append("after")

    hooks.register("hung", hung)
    hooks.register("after", after)
    started = time.monotonic()
    outcomes = await hooks.run(0.2)
    assert time.monotonic() - started < 5
    assert outcomes[0].ok is False
    assert ran == ["after"]  # the next hook still ran


# ---------------------------------------------------------------- the application's lifespan


@asynccontextmanager
async def hanging_receiver() -> AsyncIterator[str]:
    """An endpoint that accepts and never answers: a delivery stays mid-send."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks"
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_stopping_gives_leased_deliveries_back(
    db: Database, settings: Settings, world: World, tmp_path: Path
) -> None:
    serving = make_settings(
        settings.database_url,
        tmp_path / "secret",
        webhooks_allow_http=True,
        webhooks_allow_private=True,
        webhooks_read_timeout=120.0,
        shutdown_grace_seconds=1,
        dispatcher_interval_seconds=0.05,
    )
    async with hanging_receiver() as url:
        await endpoint(db, world.own, url, ["customer.updated"], settings=serving)
        await publish(db, "customer.updated", world.own, customerId="x")
        application = create_app(serving)
        async with application.router.lifespan_context(application):
            deadline = time.monotonic() + 30
            while True:  # the dispatcher loop claims the delivery and hangs sending it
                leased = await rows(
                    db,
                    sa.select(WEBHOOK_DELIVERIES).where(
                        WEBHOOK_DELIVERIES.c.lease_token.is_not(None)
                    ),
                )
                if leased:
                    break
                assert time.monotonic() < deadline, "the dispatcher never claimed the delivery"
                await asyncio.sleep(0.05)  # polling another task's progress
            assert leased[0].lease_until > clock.now()
        # The loop was cancelled after its grace; its lease was given back, not left to expire.
    (row,) = await rows(db, sa.select(WEBHOOK_DELIVERIES))
    assert row.lease_token is None
    assert row.lease_until is None
    assert row.status == "PENDING"
    assert row.next_attempt_at <= clock.now()  # due at once for another process


# ---------------------------------------------------------------- a real process and SIGTERM


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    except OSError:
        return True
    return False


def _read_until(connection: socket.socket, marker: bytes, deadline: float) -> bytes:
    received = b""
    while marker not in received:
        assert time.monotonic() < deadline, received
        chunk = connection.recv(4096)
        assert chunk, received
        received += chunk
    return received


@pytest.mark.skipif(BACKEND != "sqlite", reason="the served process uses its own SQLite file")
def test_sigterm_finishes_the_request_in_flight_and_flushes(tmp_path: Path) -> None:
    db_file, prepared = _prepared(tmp_path)
    # No background loops: whatever is flushed below, the shutdown flushed.
    process, url = _start(db_file, background_loops="false", shutdown_grace_seconds="30")
    port = int(url.rsplit(":", 1)[1])
    body = json.dumps(
        {"events": [{"metric": "calls", "quantity": 7, "idempotencyKey": "in-flight"}]}
    ).encode()
    head = (
        "POST /v1/usage HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {prepared.own_key}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    ).encode()
    deadline = time.monotonic() + 60
    try:
        with socket.create_connection(("127.0.0.1", port), 10) as connection:
            connection.settimeout(10)
            connection.sendall(head)
            # `100 Continue` is sent when the endpoint starts reading the body: the key was
            # verified (its use noted in the buffer) and the request is in flight.
            _read_until(connection, b"100 Continue\r\n\r\n", deadline)
            process.send_signal(signal.SIGTERM)
            while not _refused(port):  # the server stops accepting first
                assert time.monotonic() < deadline, "the server kept accepting after SIGTERM"
                time.sleep(0.05)  # polling another process's progress
            assert process.poll() is None  # …and waits for the request in flight
            connection.sendall(body)
            answer = _read_until(connection, b"}", deadline)
        status_line = answer.split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 202 Accepted", answer
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {
            "received": 1,
            "stored": 1,
            "duplicates": 0,
        }
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with sqlite3.connect(db_file) as connection:
        last_used = connection.execute(
            "SELECT count(*) FROM api_keys WHERE last_used_at IS NOT NULL"
        ).fetchone()[0]
        pending = connection.execute(
            "SELECT count(*) FROM usage_events WHERE flush_batch IS NULL"
        ).fetchone()[0]
        rolled = connection.execute(
            "SELECT coalesce(sum(quantity), 0) FROM usage_rollups WHERE granularity = 'DAY'"
        ).fetchone()[0]
    assert last_used == 1  # the buffered lastUsedAt reached the table
    assert pending == 0  # the aggregator flushed what the request stored
    assert rolled == 7
