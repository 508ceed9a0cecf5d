"""The application factory: one Starlette app serving GraphQL, REST and health endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.graphql.ide import STATIC_DIR, STATIC_URL
from app.graphql.schema import build_schema
from app.graphql.view import AdmiralGraphQL
from app.migrate import head_revision
from app.rest import health, users
from app.rest.metrics import Metrics, metrics_endpoint
from app.rest.middleware import RequestContextMiddleware
from app.runtime import Services
from app.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    services = Services.create(settings)
    db = services.db
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
        Route("/v1/password-reset", users.password_reset, methods=["POST"]),
        Route("/v1/feedback", users.feedback, methods=["POST"]),
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
