"""Liveness, readiness and component health."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app import migrate
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings

UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
REDIS_URL = "redis://127.0.0.1:6379/0"

AppAt = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def app_at(settings: Settings, tmp_path: Path) -> AppAt:
    """Another instance of the app, with other settings, and a client for it."""

    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        url = overrides.pop("database_url", settings.database_url)
        application: Starlette = create_app(make_settings(url, tmp_path / "secret", **overrides))
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client
        finally:
            await application.state.db.dispose()

    return open_app


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        return False
    return True


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


async def test_ready_when_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_not_ready_on_an_empty_database(app_at: AppAt, tmp_path: Path) -> None:
    async with app_at(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}") as client:
        response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "migrations not at head"}
        # Alive all the same: a process without its schema should not be restarted in a loop.
        assert (await client.get("/live")).status_code == 200


async def test_not_ready_below_the_head_revision(app_at: AppAt, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(migrate.upgrade, url, "head")
    await asyncio.to_thread(migrate.downgrade, url, "-1")
    async with app_at(database_url=url) as client:
        assert (await client.get("/ready")).status_code == 503
    await asyncio.to_thread(migrate.upgrade, url, "head")
    async with app_at(database_url=url) as client:
        assert (await client.get("/ready")).status_code == 200


async def test_not_ready_when_the_database_is_down(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.5) as client:
        response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "database down"}


async def test_health_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database"}
    database = body["components"]["database"]
    assert database["status"] == "up"
    assert database["required"] is True
    assert isinstance(database["latencyMs"], (int, float))
    assert 0 <= database["latencyMs"] < 5000


async def test_health_is_503_when_the_database_is_down(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.5) as client:
        response = await client.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert body["components"]["database"]["status"] == "down"
        assert body["components"]["database"]["error"]


async def test_health_reports_redis_when_configured(app_at: AppAt) -> None:
    if not redis_reachable() and os.environ.get("CI") != "true":
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    async with app_at(redis_url=REDIS_URL) as client:
        response = await client.get("/health")
        assert response.status_code == 200
        redis = response.json()["components"]["redis"]
        assert redis["status"] == "up"
        assert redis["required"] is False
        assert isinstance(redis["latencyMs"], (int, float))


async def test_unreachable_redis_is_down_but_not_fatal(app_at: AppAt) -> None:
    async with app_at(redis_url="redis://127.0.0.1:1/0") as client:
        response = await client.get("/health")
        # Redis is optional: the service is still healthy without it.
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["components"]["redis"]["status"] == "down"
        assert body["components"]["redis"]["required"] is False
        assert body["components"]["database"]["status"] == "up"
        assert (await client.get("/ready")).status_code == 200
