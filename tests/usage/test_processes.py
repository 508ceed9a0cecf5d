"""Real `admiral serve` processes: the usage subscription over graphql-transport-ws (in one
process, and across two through Redis), and SIGTERM during an ingest burst (on the suite's
engine)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app import migrate
from app.keys import service
from app.kit.actor import Actor
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.customers import MemberRole
from app.models.keys import KeyEnvironment
from app.models.usage import USAGE_EVENTS, USAGE_ROLLUPS, UsageMetric
from app.runtime import database
from tests.conftest import BACKEND, _postgres_database, make_settings
from tests.helpers import Factory
from tests.support import ADMIRAL, admiral_env

REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 60.0


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(db_file: Path, **settings: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with (db_file.parent / f"serve-{port}.log").open("w") as log:
        process = _spawn(db_file, port, log, settings)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, (db_file.parent / f"serve-{port}.log").read_text()
        try:
            if httpx.get(f"{url}/live", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "admiral serve did not start"
        time.sleep(0.1)  # polling a starting process, not timing a behaviour


def _spawn(db_file: Path, port: int, log: Any, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
        [ADMIRAL, "serve"],
        cwd=db_file.parent,
        env=admiral_env(db_file, host="127.0.0.1", port=str(port), log_level="WARNING", **settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@contextmanager
def _serving(db_file: Path, **settings: str) -> Iterator[str]:
    process, url = _start(db_file, **settings)
    try:
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


@dataclass
class Prepared:
    master: str
    own: str  # a customer's public id
    other: str
    owner: str  # a session token of own's OWNER
    own_key: str
    other_key: str


async def _prepare(db_file: Path, url: str | None = None) -> Prepared:
    """Callers, keys and the `calls` metric, written before a process starts: in the SQLite
    file, or in the database at `url`."""
    settings = make_settings(url or f"sqlite+aiosqlite:///{db_file}", db_file.parent / "secret")
    db = database(settings)
    try:
        factory = Factory(db, settings)
        master = await factory.master_key()
        own, other = await factory.customer("own-co"), await factory.customer("other-co")
        user = await factory.user("owner@own.test")
        await factory.member(own, user, MemberRole.OWNER)
        owner = await factory.session_token(user)
        await factory._add(UsageMetric(code="calls", name="Calls", unit="calls", aggregation="SUM"))
        secrets = []
        for customer in (own, other):

            async def create(uow: UnitOfWork, customer_id: uuid.UUID = customer.id) -> str:
                issued = await service.create_key(
                    uow,
                    customer_id=customer_id,
                    project_id=None,
                    name="meter",
                    scopes=[],
                    expires_at=None,
                    environment=KeyEnvironment.LIVE,
                )
                return issued.secret

            secrets.append(await db.run(create, actor=Actor.system("test"), row_scope=EVERYTHING))
        return Prepared(
            master,
            encode("cus", own.id),
            encode("cus", other.id),
            owner,
            secrets[0],
            secrets[1],
        )
    finally:
        await db.dispose()


def _prepared(tmp_path: Path) -> tuple[Path, Prepared]:
    db_file = tmp_path / "usage.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{db_file}")
    return db_file, asyncio.run(_prepare(db_file))


def _post(url: str, secret: str, events: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/usage",
        json={"events": events},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )


SUBSCRIBE = "subscription($c: ID) { usageEvents(customerId: $c) { customerId metric quantity } }"


def _subscribe(
    url: str, token: str, customer: str | None, *, header: bool = False
) -> ClientConnection:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    headers = {"Authorization": f"Bearer {token}"} if header else None
    socket_ = connect(ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers)
    payload = {} if header else {"Authorization": f"Bearer {token}"}
    socket_.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(socket_.recv(timeout=10))["type"] == "connection_ack"
    socket_.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIBE, "variables": {"c": customer}},
            }
        )
    )
    return socket_


def _receive(socket_: ClientConnection, timeout: float) -> dict[str, Any] | None:
    try:
        return json.loads(socket_.recv(timeout=timeout))  # type: ignore[no-any-return]
    except TimeoutError:
        return None


def _heard(listener: ClientConnection, sender_url: str, secret: str) -> list[int]:
    """Send until the subscription is live (it starts asynchronously), then a known batch;
    the quantities heard of that batch."""
    for attempt in range(50):
        _post(sender_url, secret, [{"metric": "calls", "quantity": 1000 + attempt}])
        if _receive(listener, 0.5) is not None:
            break
    else:  # pragma: no cover
        pytest.fail("the subscription never heard an event")
    assert (
        _post(
            sender_url, secret, [{"metric": "calls", "quantity": q} for q in (11, 12, 13)]
        ).status_code
        == 202
    )
    heard: list[int] = []
    while len(heard) < 3:
        message = _receive(listener, 10)
        assert message is not None, heard
        assert message["type"] == "next", message
        quantity = message["payload"]["data"]["usageEvents"]["quantity"]
        if quantity < 1000:
            heard.append(quantity)
    return heard


def test_subscription_in_one_process_with_permissions(tmp_path: Path) -> None:
    db_file, prepared = _prepared(tmp_path)
    with _serving(db_file, background_loops="false") as url:
        listener = _subscribe(url, prepared.owner, prepared.own, header=True)
        try:
            assert _heard(listener, url, prepared.own_key) == [11, 12, 13]
            # The other customer's events are not told to own's subscription.
            _post(url, prepared.other_key, [{"metric": "calls", "quantity": 5}])
            _post(url, prepared.own_key, [{"metric": "calls", "quantity": 6}])
            message = _receive(listener, 10)
            assert message is not None
            assert message["payload"]["data"]["usageEvents"] == {
                "customerId": prepared.own,
                "metric": "calls",
                "quantity": 6,
            }
        finally:
            listener.close()
        # A session admin may not follow another customer.
        refused = _subscribe(url, prepared.owner, prepared.other)
        try:
            message = _receive(refused, 10)
            assert message is not None
            assert message["type"] in ("error", "next")
            assert "data" not in message.get("payload", {}) or not message["payload"]["data"]
        finally:
            refused.close()
        # No credentials: the connection is refused.
        ws_url = url.replace("http://", "ws://") + "/graphql"
        with connect(ws_url, subprotocols=["graphql-transport-ws"]) as anonymous:
            anonymous.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(ConnectionClosed):
                anonymous.recv(timeout=10)
            assert anonymous.close_code == 4403


def test_two_processes_hear_each_other_through_redis(tmp_path: Path) -> None:
    if not _redis_reachable() and os.environ.get("CI") != "true":
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    db_file, prepared = _prepared(tmp_path)
    settings = {
        "background_loops": "false",
        "redis_url": REDIS_URL,
        "ratelimit_key_prefix": f"admiral-test-{uuid.uuid4().hex}",
    }
    with _serving(db_file, **settings) as first, _serving(db_file, **settings) as second:
        listener = _subscribe(first, prepared.master, None)
        try:
            # Sent to the second process, heard by a subscriber of the first.
            assert _heard(listener, second, prepared.own_key) == [11, 12, 13]
        finally:
            listener.close()


@contextmanager
def _served_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own for the served processes, on the suite's engine."""
    if BACKEND == "postgresql":
        with contextmanager(_postgres_database)(f"admiral_ingest_{uuid.uuid4().hex[:8]}") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'usage.db'}"


async def _read_counts(url: str, secret_dir: Path) -> tuple[set[str], int, int, int]:
    db = database(make_settings(url, secret_dir / "secret"))
    reader = db.reader()
    e, r = USAGE_EVENTS.c, USAGE_ROLLUPS.c
    try:
        keys = {row.idempotency_key for row in await reader.all(sa.select(e.idempotency_key))}
        pending = await reader.scalar(
            sa.select(sa.func.count()).select_from(USAGE_EVENTS).where(e.flush_batch.is_(None))
        )
        rolled = (
            await reader.all(
                sa.select(
                    sa.func.coalesce(sa.func.sum(r.event_count), 0),
                    sa.func.coalesce(sa.func.sum(r.quantity), 0),
                ).where(r.granularity == "DAY")
            )
        )[0]
    finally:
        await reader.close()
        await db.dispose()
    return keys, int(pending or 0), int(rolled[0]), int(rolled[1])


def _counts(url: str, secret_dir: Path) -> tuple[set[str], int, int, int]:
    return asyncio.run(_read_counts(url, secret_dir))


def test_sigterm_during_an_ingest_burst_loses_nothing(tmp_path: Path) -> None:
    with _served_database(tmp_path) as database_url:
        _sigterm_during_a_burst(tmp_path, database_url)


def _sigterm_during_a_burst(tmp_path: Path, database_url: str) -> None:
    db_file = tmp_path / "usage.db"
    migrate.upgrade(database_url)
    prepared = asyncio.run(_prepare(db_file, database_url))
    settings = {
        "background_loops": "true",
        "usage_flush_interval_ms": "50",
        "database_url": database_url,
    }
    process, url = _start(db_file, **settings)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    started = threading.Event()

    def burst(worker: int) -> None:
        for batch in range(200):
            keys = [f"w{worker}-b{batch}-e{n}" for n in range(20)]
            events = [{"metric": "calls", "quantity": 1, "idempotencyKey": k} for k in keys]
            try:
                response = _post(url, prepared.own_key, events)
            except httpx.TransportError:
                return
            if response.status_code != 202:
                return
            with lock:
                acknowledged.update(keys)
            if len(acknowledged) >= 400:
                started.set()

    workers = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    assert started.wait(60)
    process.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.join(60)
    process.wait(timeout=60)
    assert acknowledged
    # Restarted, the aggregator rolls up whatever the stopped process left.
    with _serving(db_file, **settings):
        deadline = time.monotonic() + 60
        while _counts(database_url, tmp_path)[1]:
            assert time.monotonic() < deadline, "the aggregator did not catch up"
            time.sleep(0.1)  # waiting for a background loop of another process
    stored, pending, events, quantity = _counts(database_url, tmp_path)
    assert pending == 0
    assert acknowledged <= stored  # every acknowledged event was stored…
    assert events == quantity == len(stored)  # …and every stored event rolled up exactly once
