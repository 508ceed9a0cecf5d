"""When the database cannot serve: HTTP 503 with SERVICE_UNAVAILABLE, quickly, never a hang."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.db import Database
from app.main import create_app
from app.settings import Settings
from tests.conftest import BACKEND, make_settings
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL

UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
QUICKLY = 5.0  # seconds; the point is "answers", not "hangs until a proxy gives up"

AppAt = Callable[..., AbstractAsyncContextManager[tuple[Starlette, GraphQL]]]


@pytest.fixture
def app_at(settings: Settings, tmp_path: Path) -> AppAt:
    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[tuple[Starlette, GraphQL]]:
        url = overrides.pop("database_url", settings.database_url)
        application: Starlette = create_app(make_settings(url, tmp_path / "secret", **overrides))
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield application, GraphQL(client)
        finally:
            await application.state.db.dispose()

    return open_app


def assert_unavailable(response: Any, elapsed: float) -> None:
    assert response.status == 503, response.body
    assert response.codes == ["SERVICE_UNAVAILABLE"]
    assert response.headers["content-type"].startswith("application/json")
    assert elapsed < QUICKLY


async def test_unreachable_database_answers_503(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.2) as (_, gql):
        started = time.perf_counter()
        response = await gql("{ me { scope } }", token="admk_" + "x" * 40)
        assert_unavailable(response, time.perf_counter() - started)


async def test_unreachable_database_answers_503_to_a_login(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.2) as (_, gql):
        started = time.perf_counter()
        response = await gql(
            'mutation { sessionCreate(input: {email: "a@b.test", password: "x"}) { token } }'
        )
        assert_unavailable(response, time.perf_counter() - started)


@pytest.mark.skipif(BACKEND != "postgresql", reason="pool exhaustion needs PostgreSQL's pool")
async def test_exhausted_pool_answers_503_then_recovers(app_at: AppAt, factory: Factory) -> None:
    await factory.user("ada@example.com")
    master = await factory.master_key("pool")
    async with app_at(database_pool_size=1, database_pool_timeout=0.2) as (application, gql):
        await gql.ok("{ me { scope } }", token=master)
        db: Database = application.state.db
        # pool_size=1 plus the same overflow: two connections in all, both held here.
        async with db.write_engine.connect() as first, db.write_engine.connect() as second:
            assert first is not second
            started = time.perf_counter()
            response = await gql("{ me { scope } }", token=master)
            assert_unavailable(response, time.perf_counter() - started)
            started = time.perf_counter()
            login = await gql(
                'mutation($p: String!) { sessionCreate(input: {email: "ada@example.com", '
                "password: $p}) { token } }",
                {"p": DEFAULT_PASSWORD},
            )
            assert_unavailable(login, time.perf_counter() - started)
        # Connections are back: the same app answers again.
        assert await gql.ok("{ me { scope } }", token=master) == {"me": {"scope": "MASTER"}}
