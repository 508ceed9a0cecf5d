"""Liveness, readiness and component health.

`/live` and `/ready` are cheap (no outside call; `/ready` one query) for orchestrators.
`/health` answers anyone with the database (and Redis) status, and HTTP 503 only when the
database is down: what a load balancer needs, and nothing an outsider could use. With a
master key (`Authorization: Bearer …`) it adds `system`, the report of the GraphQL `system`
field (queues, the aggregator, outside services), whose own `status` may be DEGRADED (failed
jobs) while the process serves fine: that never turns the answer into a 503. A bad token is
a 401, a session admin's a 403; while the database is down no token can be checked, and
everyone gets the public answer.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.db import Database
from app.kit.errors import ErrorCode
from app.kit.http import error_response
from app.ops import system
from app.rest.common import RestError, bearer_principal, runtime_of
from app.settings import Settings


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database(db: Database) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await db.ping()
    except Exception as error:  # any failure means "down"; the reason is reported, not raised
        return {"status": "down", "error": type(error).__name__}
    return {"status": "up", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def _redis(url: str) -> dict[str, Any]:
    from redis.asyncio import Redis

    started = time.perf_counter()
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        await client.ping()
    except Exception as error:  # any failure means "down"
        return {"status": "down", "error": type(error).__name__}
    finally:
        await client.aclose()
    return {"status": "up", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def _migrations_at_head(db: Database, head: str | None) -> bool:
    try:
        async with db.read_engine.connect() as connection:
            current = (
                await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            ).scalar()
    except Exception:  # no table yet, or no database: not ready either way
        return False
    return current is not None and current == head


async def ready(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    head: str | None = request.app.state.migration_head
    database = await _database(db)
    if database["status"] != "up":
        return JSONResponse({"status": "unavailable", "reason": "database down"}, status_code=503)
    if not await _migrations_at_head(db, head):
        return JSONResponse(
            {"status": "unavailable", "reason": "migrations not at head"}, status_code=503
        )
    return JSONResponse({"status": "ready"})


async def health(request: Request) -> JSONResponse:
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    components: dict[str, Any] = {"database": {**await _database(db), "required": True}}
    if settings.redis_url:
        components["redis"] = {**await _redis(settings.redis_url), "required": False}
    healthy = all(item["status"] == "up" for item in components.values() if item.get("required"))
    body: dict[str, Any] = {"status": "ok" if healthy else "degraded", "components": components}
    # Master keys live in the database: while it is down nobody can be told apart, and the
    # answer is the public one.
    if healthy and request.headers.get("authorization"):
        runtime = runtime_of(request)
        try:
            principal = await bearer_principal(request, runtime)
            if not principal.is_master:
                raise RestError(403, ErrorCode.FORBIDDEN, "The details are for master admins.")
        except RestError as failure:
            response = error_response(request, failure.status, failure.code, failure.message)
            if failure.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
            return response
        found = await system.report(
            db,
            settings,
            expected_head=request.app.state.migration_head,
            started_monotonic=runtime.started_monotonic,
        )
        body["system"] = system.as_json(found)
    return JSONResponse(body, status_code=200 if healthy else 503)


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route("/live", live), Route("/ready", ready), Route("/health", health)]
