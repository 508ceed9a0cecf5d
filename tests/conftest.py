"""Test fixtures: a real migrated database (SQLite or PostgreSQL), the real app over HTTP.

`ADMIRAL_TEST_DATABASE=postgresql` runs the suite on PostgreSQL (a fresh database per run and
per xdist worker, dropped afterwards); the default is a SQLite file in a temporary folder.
Tables are emptied after each test, so every test starts from a clean, migrated database.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from hypothesis import settings as hypothesis_settings
from starlette.applications import Starlette

from app import migrate
from app.db import Database
from app.main import create_app
from app.models import metadata
from app.runtime_settings import store as runtime_settings_store
from app.settings import Settings
from tests.helpers import Factory, GraphQL, StatementCounter, World, build_world

# Property tests assert rules, never speed: on a loaded machine (CI, parallel workers) an
# example may take longer than hypothesis' default 200 ms deadline without anything being wrong.
hypothesis_settings.register_profile("admiral", deadline=None)
hypothesis_settings.load_profile("admiral")

BACKEND = os.environ.get("ADMIRAL_TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("ADMIRAL_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
STAFF_EMAIL = "staff@admiral.test"


def pytest_report_header() -> str:
    return f"admiral test database: {BACKEND}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (ADMIRAL_TEST_DATABASE=postgresql)")
    for item in items:
        if item.get_closest_marker("postgres_only") is not None:
            item.add_marker(skip)


def _postgres_database(name: str) -> Iterator[str]:
    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if BACKEND == "postgresql":
        name = f"admiral_test_{worker_id}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        yield from _postgres_database(name)
    else:
        path = tmp_path_factory.mktemp("db") / "admiral-test.db"
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
def settings(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(migrated_url, tmp_path_factory.mktemp("secret") / "secret")


def make_settings(url: str, secret_file: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": "test-secret-key-not-for-production-use",
        "secret_file": str(secret_file),
        "staff_emails": [STAFF_EMAIL],
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "database_pool_timeout": 5.0,
        "billing_test_clocks": True,  # the billing tests drive renewals through test clocks
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    yield application
    await application.state.db.dispose()


@pytest.fixture(scope="session")
def db(app: Starlette) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "db" not in request.fixturenames:
        return
    database: Database = request.getfixturevalue("db")
    # DELETE, children first, on both engines: for the few rows a test writes it is about
    # twenty times faster than PostgreSQL's TRUNCATE, which pays a fixed cost per table.
    async with database.write_engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(sa.delete(table))
    # The runtime settings' cache would keep a deleted row's value for its TTL.
    runtime_settings_store.forget()


@pytest.fixture
async def client(app: Starlette, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)


@pytest.fixture
def factory(db: Database, settings: Settings) -> Factory:
    return Factory(db, settings)


@pytest.fixture
async def master_token(factory: Factory) -> str:
    return await factory.master_key()


@pytest.fixture
def statements(db: Database) -> StatementCounter:
    return StatementCounter(db)


@pytest.fixture
async def world(factory: Factory) -> World:
    return await build_world(factory, STAFF_EMAIL)
