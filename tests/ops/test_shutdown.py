"""Graceful shutdown: hooks, flushed buffers, released leases; a real `admiral serve` on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import sqlalchemy as sa

from app import migrate
from app.db import Database
from app.keys import service as keys
from app.kit import clock
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.shutdown import ShutdownHooks
from app.kit.uow import UnitOfWork
from app.main import create_app
from app.models.keys import API_KEYS, KeyEnvironment
from app.models.tables import WEBHOOK_DELIVERIES
from app.models.usage import USAGE_EVENTS, USAGE_ROLLUPS, Aggregation, UsageMetric
from app.runtime import database
from app.settings import Settings
from tests.conftest import BACKEND, _postgres_database, make_settings
from tests.helpers import Factory, World
from tests.support import rows
from tests.usage.test_processes import _start
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


@contextmanager
def _served_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own for the served process, on the suite's engine."""
    if BACKEND == "postgresql":
        with contextmanager(_postgres_database)(f"admiral_serve_{uuid.uuid4().hex[:8]}") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'served.db'}"


async def _metered_key(url: str, tmp_path: Path) -> str:
    """A customer's API key and the `calls` metric, written before the process starts."""
    db = database(make_settings(url, tmp_path / "secret"))
    try:
        factory = Factory(db, db.settings)
        customer = await factory.customer("metered-co")
        await factory._add(
            UsageMetric(code="calls", name="Calls", unit="calls", aggregation=Aggregation.SUM)
        )

        async def create(uow: UnitOfWork) -> str:
            issued = await keys.create_key(
                uow,
                customer_id=customer.id,
                project_id=None,
                name="meter",
                scopes=[],
                expires_at=None,
                environment=KeyEnvironment.LIVE,
            )
            return issued.secret

        secret: str = await db.run(create, actor=Actor.system("test"), row_scope=EVERYTHING)
        return secret
    finally:
        await db.dispose()


async def _after_exit(url: str, tmp_path: Path) -> tuple[int, int, int]:
    db = database(make_settings(url, tmp_path / "secret"))
    reader = db.reader()
    try:
        used = await reader.scalar(
            sa.select(sa.func.count()).where(API_KEYS.c.last_used_at.is_not(None))
        )
        pending = await reader.scalar(
            sa.select(sa.func.count()).where(USAGE_EVENTS.c.flush_batch.is_(None))
        )
        rolled = await reader.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(USAGE_ROLLUPS.c.quantity), 0)).where(
                USAGE_ROLLUPS.c.granularity == "DAY"
            )
        )
    finally:
        await reader.close()
        await db.dispose()
    return int(used), int(pending), int(rolled)


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


def test_sigterm_finishes_the_request_in_flight_and_flushes(tmp_path: Path) -> None:
    with _served_database(tmp_path) as url:
        migrate.upgrade(url)
        secret = asyncio.run(_metered_key(url, tmp_path))
        # No background loops: whatever is flushed below, the shutdown flushed.
        process, served = _start(
            tmp_path / "served.db",
            database_url=url,
            background_loops="false",
            shutdown_grace_seconds="30",
        )
        port = int(served.rsplit(":", 1)[1])
        body = json.dumps(
            {"events": [{"metric": "calls", "quantity": 7, "idempotencyKey": "in-flight"}]}
        ).encode()
        head = (
            "POST /v1/usage HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {secret}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Expect: 100-continue\r\n\r\n"
        ).encode()
        deadline = time.monotonic() + 60
        try:
            with socket.create_connection(("127.0.0.1", port), 10) as connection:
                connection.settimeout(10)
                connection.sendall(head)
                # `100 Continue` is sent when the endpoint starts reading the body: the key
                # was verified (its use noted in the buffer) and the request is in flight.
                _read_until(connection, b"100 Continue\r\n\r\n", deadline)
                process.send_signal(signal.SIGTERM)
                while not _refused(port):  # the server stops accepting first
                    assert time.monotonic() < deadline, "the server kept accepting after SIGTERM"
                    time.sleep(0.05)  # polling another process's progress
                assert process.poll() is None  # …and waits for the request in flight
                connection.sendall(body)
                answer = _read_until(connection, b"}", deadline)
            assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 202 Accepted", answer
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
        used, pending, rolled = asyncio.run(_after_exit(url, tmp_path))
    assert used == 1  # the buffered lastUsedAt reached the table
    assert pending == 0  # the aggregator rolled up what the request stored…
    assert rolled == 7  # …once
