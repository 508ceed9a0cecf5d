"""GraphiQL in a real, offline, headless Chromium against the real app over real HTTP.

The browser is Debian's `chromium` (installed by `scripts/ensure-browser`), driven by the Python
`playwright` package with `executable_path`; no browser is ever downloaded. Every request to a
host other than 127.0.0.1/localhost is blocked and counted: the page must need none.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Page, Request, Route, async_playwright, expect

from app.main import create_app
from app.settings import Settings
from tests.helpers import Factory

pytestmark = pytest.mark.e2e

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def chromium() -> str:
    """The path of Debian's Chromium: a skip without it, a failure in CI."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's `chromium` is not installed: run scripts/ensure-browser."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    """The real app served by uvicorn on a free port, in a thread with its own event loop."""
    app = create_app(settings)
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
        assert not thread.is_alive(), "uvicorn did not stop"


async def set_editor(page: Page, region: str, text: str) -> None:
    """Replace the text of a GraphiQL (CodeMirror 5) editor, as an operator pasting would."""
    section = page.get_by_role("region", name=region, exact=True)
    editor = section.locator(".CodeMirror").filter(visible=True)
    await expect(editor).to_be_visible(timeout=TIMEOUT_MS)
    await editor.evaluate("(element, text) => element.CodeMirror.setValue(text)", text)


async def test_graphiql_runs_a_query_offline(
    chromium: str, live_url: str, factory: Factory
) -> None:
    key = await factory.master_key()
    blocked: list[str] = []
    page_errors: list[str] = []

    async def only_local(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            blocked.append(request.url)
            await route.abort("blockedbyclient")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(service_workers="block")
            await context.route("**/*", only_local)
            page = await context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            api_calls: list[str] = []
            page.on(
                "request",
                lambda request: (
                    api_calls.append(request.method)
                    if urlsplit(request.url).path == "/graphql" and request.method == "POST"
                    else None
                ),
            )

            response = await page.goto(f"{live_url}/graphql", wait_until="load")
            assert response is not None
            assert response.status == 200
            html = await response.text()
            assert re.findall(r"\bhttps?://", html, re.IGNORECASE) == []
            await expect(page).to_have_title("Admiral GraphiQL")
            headers = page.get_by_role("region", name="Headers", exact=True)
            await expect(headers).to_contain_text('{"Authorization": "Bearer "}')
            # Before a key is pasted the page says what to do, and asks the API nothing.
            result = page.get_by_role("region", name="Result Window", exact=True)
            await expect(result).to_contain_text("No key yet", timeout=TIMEOUT_MS)
            assert api_calls == []

            await set_editor(page, "Headers", f'{{"Authorization": "Bearer {key}"}}')
            await set_editor(page, "Query Editor", "{ me { scope } }")
            await page.get_by_role("button", name="Execute query").click()

            await expect(result).to_contain_text('"MASTER"', timeout=TIMEOUT_MS)
            assert page_errors == []
            assert blocked == []

            # The guard itself works: a request to another host is refused and counted.
            outcome = await page.evaluate(
                "fetch('https://example.com/').then(() => 'sent', () => 'refused')"
            )
            assert outcome == "refused"
            assert blocked == ["https://example.com/"]
            await context.close()
        finally:
            await browser.close()
