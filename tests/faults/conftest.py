"""Fixtures of the fault suite: a fresh PostgreSQL database per test, copied from a template
migrated once per session, and `admiral serve` processes on it (stopped after the test)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app import migrate
from tests.faults.support import Server, admin, new_name, sqlalchemy_url


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    name = new_name("admiral_faults_template")
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(sqlalchemy_url(name))
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_database(template_database: str) -> Iterator[str]:
    """A migrated, empty database of this test's own; its name."""
    name = new_name("admiral_faults")
    asyncio.run(admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    try:
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def serve(fresh_database: str, tmp_path: Path) -> Iterator[Callable[..., list[Server]]]:
    """Start `admiral serve` processes on the test's database, one per dict of settings, side
    by side (starting is mostly importing: together they take about the time of one)."""
    servers: list[Server] = []

    def start(*settings: dict[str, str]) -> list[Server]:
        started = [
            Server(sqlalchemy_url(fresh_database), tmp_path, dict(each), name=f"serve{n}")
            for n, each in enumerate(settings, start=len(servers))
        ]
        servers.extend(started)
        for server in started:
            server.spawn()
        return [server.ready() for server in started]

    yield start
    for server in servers:
        server.stop()
