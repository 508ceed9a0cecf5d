"""The console's build served at /console: client-side routes get index.html, hashed assets are
cached for good, the mail links of the default base lead into the console, and without a build
there is no /console at all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings

INDEX = (
    '<!doctype html><div id="root"></div><script src="/console/assets/index-abc123.js"></script>'
)

AppWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('console');")
    return root


@pytest.fixture
def app_with(settings: Settings, tmp_path: Path) -> AppWith:
    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        application: Starlette = create_app(
            make_settings(settings.database_url, tmp_path / "secret", **overrides)
        )
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client
        finally:
            await application.state.db.dispose()

    return open_app


async def test_client_side_routes_get_the_page_uncached(app_with: AppWith, build: Path) -> None:
    async with app_with(console_dir=str(build)) as client:
        for path in ("/console/", "/console/users", "/console/users/usr_123", "/console/sign-in"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.text == INDEX
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["cache-control"] == "no-cache"
        bare = await client.get("/console")
    assert bare.status_code == 308
    assert bare.headers["location"] == "/console/"


async def test_hashed_assets_are_cached_for_a_year(app_with: AppWith, build: Path) -> None:
    async with app_with(console_dir=str(build)) as client:
        asset = await client.get("/console/assets/index-abc123.js")
        missing = await client.get("/console/assets/index-gone.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('console');"
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert missing.status_code == 404
    assert "cache-control" not in missing.headers


async def test_mail_links_of_the_default_base_lead_into_the_console(
    app_with: AppWith, build: Path
) -> None:
    async with app_with(console_dir=str(build)) as client:
        reset = await client.get("/reset-password?token=abc")
        accept = await client.get("/invitations/accept?token=a%2Bb")
    assert reset.status_code == 307
    assert reset.headers["location"] == "/console/reset-password?token=abc"
    assert accept.headers["location"] == "/console/invitations/accept?token=a%2Bb"


async def test_without_a_build_there_is_no_console(app_with: AppWith, tmp_path: Path) -> None:
    async with app_with(console_dir=str(tmp_path / "nothing")) as client:
        for path in ("/console", "/console/users", "/reset-password?token=abc"):
            assert (await client.get(path)).status_code == 404, path
        # The API itself is untouched.
        assert (await client.get("/live")).status_code == 200
