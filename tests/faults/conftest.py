"""Fixtures of the fault suite: a fresh PostgreSQL database per test, copied from a template
migrated once per session (or one per module, for tests that can share their servers), and
`admiral serve` processes on it, stopped afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app import migrate
from tests.faults.support import Fleet, Server, admin, new_name, sqlalchemy_url


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    name = new_name("admiral_faults_template")
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(sqlalchemy_url(name))
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def _copy_of(template: str) -> Iterator[str]:
    name = new_name("admiral_faults")
    asyncio.run(admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_database(template_database: str) -> Iterator[str]:
    """A migrated, empty database of this test's own; its name."""
    with _copy_of(template_database) as name:
        yield name


@pytest.fixture
def serve(fresh_database: str, tmp_path: Path) -> Iterator[Callable[..., list[Server]]]:
    """Start `admiral serve` processes on the test's database, one per dict of settings."""
    fleet = Fleet(fresh_database, tmp_path)
    yield fleet.start
    fleet.stop()


@pytest.fixture(scope="module")
def module_database(template_database: str) -> Iterator[str]:
    """A migrated database shared by a module's tests (each tolerates the others' rows)."""
    with _copy_of(template_database) as name:
        yield name


@pytest.fixture(scope="module")
def module_fleet(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    fleet = Fleet(module_database, tmp_path_factory.mktemp("fleet"))
    yield fleet
    fleet.stop()
