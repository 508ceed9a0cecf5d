"""The application factory: one Starlette app serving GraphQL, REST and health endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.auth.passwords import Passwords
from app.db import Database
from app.graphql.context import Services
from app.graphql.ide import STATIC_DIR, STATIC_URL
from app.graphql.schema import build_schema
from app.graphql.view import AdmiralGraphQL
from app.migrate import head_revision
from app.rest import health
from app.rest.metrics import Metrics, metrics_endpoint
from app.rest.middleware import RequestContextMiddleware
from app.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    db = Database(settings)
    services = Services(
        settings=settings,
        db=db,
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_cost),
        secret_key=settings.resolved_secret_key(),
    )
    metrics = Metrics(db)
    graphql = AdmiralGraphQL(build_schema(settings), services)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/live", health.live),
        Route("/ready", health.ready),
        Route("/health", health.health),
        Route("/metrics", metrics_endpoint),
        Mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static"),
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
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.services = services
    app.state.metrics = metrics
    app.state.migration_head = head_revision()
    return app
