"""The application factory: one Starlette app serving GraphQL, REST and health endpoints."""

from __future__ import annotations

import gc
import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

import app
import app.rest
from app.db import Database
from app.graphql.ide import STATIC_DIR, STATIC_URL
from app.graphql.schema import build_schema
from app.graphql.view import AdmiralGraphQL
from app.kit.loops import Loop, Loops
from app.migrate import head_revision
from app.ops import shutdown
from app.rest.metrics import Metrics
from app.rest.middleware import RequestContextMiddleware
from app.runtime import Runtime
from app.settings import Settings
from app.usage.broker import BROKER


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections for a server that allocates many short-lived objects.

    A GraphQL page of 100 rows allocates tens of thousands of objects that die with the request;
    with the default threshold (700) the collector ran dozens of times per request and took
    about 40% of the CPU under load. Objects alive after start-up (modules, the schema) are
    frozen so full collections no longer walk them.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def rest_routes(settings: Settings) -> list[BaseRoute]:
    """The routes of every module of `app.rest` that declares some (`routes(settings)`): a
    domain adds its endpoints in its own module, without editing this one."""
    found: list[BaseRoute] = []
    for module in pkgutil.iter_modules(app.rest.__path__, "app.rest."):
        declare = getattr(importlib.import_module(module.name), "routes", None)
        if callable(declare):
            found.extend(declare(settings))
    # A literal path wins over a pattern that would also match it (`/exports/usage.csv` of
    # the usage domain before `/exports/{kind}.csv` of the metrics domain), whatever the
    # modules' order.
    return sorted(found, key=lambda route: "{" in getattr(route, "path", ""))


def declared_loops(db: Database, settings: Settings) -> list[Loop]:
    """The loops every domain package declares in its `loops.py` (see `app/kit/loops.py`)."""
    found: list[Loop] = []
    for package in pkgutil.iter_modules(app.__path__, "app."):
        if not package.ispkg or package.name in ("app.graphql", "app.rest", "app.migrations"):
            continue
        try:
            module = importlib.import_module(package.name + ".loops")
        except ModuleNotFoundError as error:
            if error.name != package.name + ".loops":
                raise
            continue
        declare = getattr(module, "loops", None)
        if callable(declare):  # `app.kit.loops` is the machinery itself, and declares none
            found.extend(declare(db, settings))
    return found


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    runtime = Runtime.create(settings)
    db = runtime.db
    metrics = Metrics(db, runtime.logs)
    graphql = AdmiralGraphQL(build_schema(settings), runtime)
    shutdown.register(runtime.shutdown, db)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        background = Loops(declared_loops(db, settings) if settings.background_loops else [])
        BROKER.configure(settings.redis_url)
        runtime.logs.start()
        background.start()
        tune_garbage_collector()
        try:
            yield
        finally:
            # Uvicorn has stopped accepting and waited for the requests in flight
            # (`timeout_graceful_shutdown`); the loops finish their steps, then the buffers
            # are flushed and claimed work is given back before the connections close.
            grace = settings.shutdown_grace_seconds
            await background.stop(grace)
            await shutdown.run(runtime.shutdown, grace)
            # After the loops and hooks, whose last steps may still log; before the database.
            await runtime.logs.close()
            await BROKER.close()
            await db.dispose()

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        WebSocketRoute("/graphql", graphql),
        Mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static"),
        *rest_routes(settings),
    ]
    middleware = [Middleware(RequestContextMiddleware, metrics=metrics)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            )
        )
    application = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    application.state.settings = settings
    application.state.db = db
    application.state.runtime = runtime
    application.state.metrics = metrics
    application.state.migration_head = head_revision()
    return application
