"""A real `admiral serve` process on a fresh PostgreSQL database, driven over real HTTP.

Each fault test gets its own database, copied from a migrated template (a copy takes a
fraction of a second; migrating takes seconds), and starts, kills and restarts the server as
the fault needs. What the server acknowledged is then checked in the database itself.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
import httpx

from app.runtime import database
from tests.conftest import PG_ADMIN_URL, make_settings
from tests.helpers import Factory
from tests.support import ADMIRAL, admiral_env

T = TypeVar("T")

START_TIMEOUT = 60.0
SECRET_KEY = "test-secret-key-not-for-production-use"
PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def asyncpg_url(name: str) -> str:
    return f"{PG_BASE}/{name}"


def sqlalchemy_url(name: str) -> str:
    return asyncpg_url(name).replace("postgresql://", "postgresql+asyncpg://")


async def connect(name: str) -> asyncpg.Connection:
    """A connection of the test's own, beside the server's (to lock, to kill, to count)."""
    return await asyncpg.connect(asyncpg_url(name))


async def terminate_backends(name: str, *, except_pid: int | None = None) -> int:
    """Terminate every backend connected to database `name` (but `except_pid`); how many."""
    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        killed = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid() AND pid IS DISTINCT FROM $2",
            name,
            except_pid,
        )
    finally:
        await connection.close()
    return sum(1 for row in killed if row[0])


async def seed(url: str, secret_dir: Path, work: Callable[[Factory], Awaitable[T]]) -> T:
    """Rows a test needs before the server starts, written as the factories write them."""
    settings = make_settings(url, secret_dir / "secret")
    db = database(settings)
    try:
        return await work(Factory(db, settings))
    finally:
        await db.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One `admiral serve` process; `start` again after it stopped starts a new one."""

    database_url: str
    folder: Path
    settings: dict[str, str] = field(default_factory=dict)
    name: str = "serve"
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    starts: int = 0
    _log: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / f"{self.name}-{self.starts}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self) -> Server:
        self.spawn()
        return self.ready()

    def spawn(self) -> None:
        """Start the process (`ready` waits for it to serve)."""
        assert self.process is None, "already serving"
        self.port = free_port()
        self.starts += 1
        self._log = self.log_path.open("w")
        env = admiral_env(
            self.folder / "unused.db",
            database_url=self.database_url,
            secret_key=SECRET_KEY,
            host="127.0.0.1",
            port=str(self.port),
            log_level="WARNING",
            **self.settings,
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            [ADMIRAL, "serve"],
            cwd=self.folder,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def ready(self) -> Server:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/live", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "admiral serve did not start"
            time.sleep(0.05)  # polling a starting process, not timing a behaviour

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to end; its exit code."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process = None
            if self._log is not None:
                self._log.close()
                self._log = None
        return code

    def stop(self) -> None:
        if self.process is not None:
            self.signal(signal.SIGINT)
            self.wait()


class Fleet:
    """`admiral serve` processes on one database, started side by side (starting is mostly
    importing: together they take about the time of one) and stopped together."""

    def __init__(self, database: str, folder: Path) -> None:
        self.database, self.folder = database, folder
        self.servers: list[Server] = []

    def start(self, *settings: dict[str, str]) -> list[Server]:
        started = [
            Server(sqlalchemy_url(self.database), self.folder, dict(each), name=f"serve{n}")
            for n, each in enumerate(settings, start=len(self.servers))
        ]
        self.servers.extend(started)
        for server in started:
            server.spawn()
        return [server.ready() for server in started]

    def stop(self) -> None:
        running = [server for server in self.servers if server.running]
        for server in running:
            server.signal(signal.SIGINT)
        for server in self.servers:
            if server.process is not None:
                server.wait()


@dataclass
class Answer:
    """One GraphQL request's outcome; `status` None when no HTTP answer arrived at all."""

    status: int | None
    body: dict[str, Any] | None = None
    failure: str | None = None
    elapsed: float = 0.0

    @property
    def codes(self) -> set[str]:
        errors = (self.body or {}).get("errors") or []
        return {str(error.get("extensions", {}).get("code")) for error in errors}


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> Answer:
    started = time.perf_counter()
    try:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
    except httpx.TransportError as error:
        return Answer(None, failure=type(error).__name__, elapsed=time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    try:
        body = response.json()
    except ValueError:
        return Answer(response.status_code, failure=response.text[:200], elapsed=elapsed)
    return Answer(response.status_code, body, elapsed=elapsed)


def client(server: Server, token: str, timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
    )


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Poll `check` until it holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)  # polling another process, not timing a behaviour


def new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
