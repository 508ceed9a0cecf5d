"""The console in Debian's Chromium against the real app over real HTTP, offline.

The console's build is made (or found up to date) once per test run by `scripts/build-console`,
under a lock shared by the xdist workers. The server runs with
`persisted_queries_only_for_sessions`, so every session-scoped page proves the console sends
only persisted documents. Each test leaves screenshots in console/screenshots/ (git-ignored).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Browser, Page, Request, Route, async_playwright

from app.main import create_app
from app.settings import Settings
from tests.e2e.test_graphiql import CHROMIUM_ARGS, LOCAL_HOSTS, TIMEOUT_MS

ROOT = Path(__file__).parents[3]
CONSOLE = ROOT / "console"
SCREENSHOTS = CONSOLE / "screenshots"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def console_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """console/dist, built when missing or stale; a skip without npm, a failure in CI."""
    if shutil.which("npm") is None:
        reason = "npm is not installed: the console cannot be built."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    lock = tmp_path_factory.getbasetemp().parent / "console-build.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        subprocess.run([str(ROOT / "scripts" / "build-console")], check=True)  # noqa: S603
    dist = CONSOLE / "dist"
    assert (dist / "index.html").is_file()
    assert (dist / "persisted-documents.json").is_file()
    return dist


@pytest.fixture
async def console_url(settings: Settings, console_build: Path) -> AsyncIterator[str]:
    """The app with the console, served by uvicorn on a free port in a thread."""
    app = create_app(
        settings.model_copy(
            update={"console_dir": str(console_build), "persisted_queries_only_for_sessions": True}
        )
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", ws="none", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="uvicorn", daemon=True
    )
    thread.start()
    try:
        async with asyncio.timeout(10):
            while not server.started:
                assert thread.is_alive(), "uvicorn stopped while starting"
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        listener.close()
        await app.state.db.dispose()
        assert not thread.is_alive(), "uvicorn did not stop"


@dataclass
class Tab:
    """A browser page with what it sent and what went wrong, for the assertions at the end."""

    page: Page
    base: str
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    graphql: list[dict[str, object]] = field(default_factory=list)

    async def open(self, path: str) -> None:
        await self.page.goto(f"{self.base}/console{path}", wait_until="load")

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def operations(self) -> list[str]:
        return [str(body.get("operationName")) for body in self.graphql]

    def sent_text(self) -> list[str]:
        """Operation names sent with their document's text instead of by hash."""
        return [str(body.get("operationName")) for body in self.graphql if "query" in body]

    async def sign_in_with_key(self, key: str) -> None:
        await self.open("/sign-in")
        await self.page.get_by_role("button", name="Master key").click()
        await self.page.get_by_label("Master key").fill(key)
        await self.page.get_by_role("button", name="Sign in", exact=True).click()

    async def sign_in_with_password(self, email: str, password: str) -> None:
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    # The GraphiQL test's fixture is function-scoped; the browser here lives for the session.
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's `chromium` is not installed: run scripts/ensure-browser."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
async def tab(browser: Browser, console_url: str) -> AsyncIterator[Tab]:
    context = await browser.new_context(
        service_workers="block", viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(TIMEOUT_MS)
    opened = Tab(page=await context.new_page(), base=console_url)

    async def only_local(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            opened.blocked.append(request.url)
            await route.abort("blockedbyclient")

    def record(request: Request) -> None:
        if urlsplit(request.url).path == "/graphql" and request.method == "POST":
            body = request.post_data_json
            if isinstance(body, dict):
                opened.graphql.append(body)

    await context.route("**/*", only_local)
    opened.page.on("pageerror", lambda error: opened.errors.append(str(error)))
    opened.page.on("request", record)
    try:
        yield opened
        assert opened.errors == []
        assert opened.blocked == []
    finally:
        await context.close()
