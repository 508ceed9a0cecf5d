"""Two real `admiral serve` processes against one Redis share one customer's rate limit."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app import migrate
from app.keys import service
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.keys import KeyEnvironment
from app.runtime import database
from tests.conftest import make_settings
from tests.helpers import Factory
from tests.support import ADMIRAL, admiral_env

REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 60.0
LIMIT = 5


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


@contextmanager
def _serving(db_file: Path, prefix: str) -> Iterator[str]:
    port = _free_port()
    log = (db_file.parent / f"serve-{port}.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
        [ADMIRAL, "serve"],
        cwd=db_file.parent,
        env=admiral_env(
            db_file,
            host="127.0.0.1",
            port=str(port),
            log_level="WARNING",
            redis_url=REDIS_URL,
            ratelimit_key_prefix=prefix,
            background_loops="false",
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, (db_file.parent / f"serve-{port}.log").read_text()
            try:
                if httpx.get(f"{url}/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "admiral serve did not start"
            time.sleep(0.1)  # polling a starting process, not timing a behaviour
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        log.close()


async def _prepare(db_file: Path, attempts: int) -> tuple[str, list[str]]:
    url = f"sqlite+aiosqlite:///{db_file}"
    settings = make_settings(url, db_file.parent / "secret")
    db = database(settings)
    try:
        factory = Factory(db, settings)
        master = await factory.master_key()
        plan = await factory.plan("shared", rate_per_second=LIMIT)
        secrets = []
        for n in range(attempts):
            customer = await factory.customer(f"shared-{n}", plan=plan)

            async def create(uow: UnitOfWork, customer_id: uuid.UUID = customer.id) -> str:
                issued = await service.create_key(
                    uow,
                    customer_id=customer_id,
                    project_id=None,
                    name="shared",
                    scopes=[],
                    expires_at=None,
                    environment=KeyEnvironment.LIVE,
                )
                return issued.secret

            secrets.append(await db.run(create, actor=Actor.system("test"), row_scope=EVERYTHING))
        return master, secrets
    finally:
        await db.dispose()


def test_two_processes_share_one_limit(tmp_path: Path) -> None:
    if not _redis_reachable() and os.environ.get("CI") != "true":
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    db_file = tmp_path / "shared.db"
    attempts = 5
    migrate.upgrade(f"sqlite+aiosqlite:///{db_file}")
    master, secrets = asyncio.run(_prepare(db_file, attempts))
    prefix = f"admiral-test-{uuid.uuid4().hex}"
    auth = {"Authorization": f"Bearer {master}"}
    seen: list[list[str]] = []
    with _serving(db_file, prefix) as first, _serving(db_file, prefix) as second:
        servers = [httpx.Client(base_url=url, headers=auth) for url in (first, second)]
        try:
            for server in servers:  # each remembers the master key before the counted run
                server.post("/v1/keys/verify", json={"key": "ak_live_x"})
            for secret in secrets:
                answers = [
                    servers[n % 2].post("/v1/keys/verify", json={"key": secret}).json()
                    for n in range(LIMIT + 3)
                ]
                codes = [answer["code"] for answer in answers]
                remaining = [answer["ratelimit"]["remaining"] for answer in answers]
                seen.append(codes)
                # Counted apart, each process would let its 4 requests through. A run may
                # straddle the turn of the one-second window: then the next customer tries.
                if codes == ["VALID"] * LIMIT + ["RATE_LIMITED"] * 3:
                    assert remaining == [4, 3, 2, 1, 0, 0, 0, 0]
                    return
            pytest.fail(f"no run saw one shared count: {seen}")  # pragma: no cover
        finally:
            for server in servers:
                server.close()
