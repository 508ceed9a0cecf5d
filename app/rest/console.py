"""The operator console's build, served at /console when it exists (`scripts/serve` builds it).

Hashed assets are cached for a year (their names change with their content); every other path
under /console is a client-side route and gets index.html, never cached, so a new build is
picked up on the next load. The links people get by mail point at `{ADMIRAL_APP_URL}/…`: with the
default base (the server itself, no /console) the two mail paths redirect into the console.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.settings import Settings

PREFIX = "/console"
MAIL_PATHS = ("/reset-password", "/invitations/accept")
IMMUTABLE = "public, max-age=31536000, immutable"


class HashedAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response


def routes(settings: Settings) -> list[BaseRoute]:
    """The console's routes, or none when it has not been built."""
    root = Path(settings.console_dir)
    index = root / "index.html"
    if not index.is_file():
        return []

    async def page(request: Request) -> Response:
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def to_console(request: Request) -> Response:
        query = request.url.query
        target = f"{PREFIX}{request.url.path}" + (f"?{query}" if query else "")
        return RedirectResponse(target, status_code=307)

    async def slash(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    routes: list[BaseRoute] = [
        Route(PREFIX, slash),
        Mount(f"{PREFIX}/assets", HashedAssets(directory=root / "assets", check_dir=False)),
        Route(PREFIX + "/{path:path}", page, methods=["GET", "HEAD"]),
    ]
    routes += [Route(path, to_console, methods=["GET", "HEAD"]) for path in MAIL_PATHS]
    return routes
