"""Prometheus metrics at `/metrics`: one registry per application instance.

Who may scrape: a master (`Authorization: Bearer <master key>`, what Prometheus sends with
`authorization: {credentials_file: …}`), or anyone when `ADMIRAL_METRICS_PUBLIC` is true (a
port only the monitoring network reaches). Counters and histograms are updated in memory
by the request middleware; gauges read process state when scraped, and the queue figures
read from the database at most every `QUEUE_FIGURES_TTL_SECONDS` (a few indexed counts), so
frequent scrapes stay cheap.

Labels stay bounded: an operation is named by the GraphQL operation name only for the first
`MAX_OPERATION_NAMES` names sent by authenticated callers; later ones are `other`, an
operation without a name is `anonymous`, a request refused before its document was read is
`unknown`. REST requests are named by their declared route.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from app.auth.service import authenticate
from app.db import Database
from app.kit.errors import ErrorCode
from app.kit.http import error_response
from app.kit.requestlog import ORDINARY, note_actor, observed
from app.logs.pipeline import LogPipeline
from app.models.mail import Email, EmailStatus
from app.models.outbox import OutboxEvent
from app.models.tables import table_of
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.settings import Settings
from app.usage import aggregator

MAX_OPERATION_NAMES = 100
QUEUE_FIGURES_TTL_SECONDS = 5.0
GRAPHQL_ROUTE = "/graphql"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
READ_PATHS = (ORDINARY, "compiled")


OUTBOX = table_of(OutboxEvent)
DELIVERIES = table_of(WebhookDelivery)
EMAILS = table_of(Email)


@dataclass
class QueueFigures:
    outbox_pending: int = 0
    deliveries_pending: int = 0
    deliveries_failed: int = 0
    mails_pending: int = 0
    mails_queued: int = 0
    mails_failed: int = 0
    usage_pending: int = 0
    usage_lag_seconds: float = 0.0


async def read_queue_figures(db: Database) -> QueueFigures:
    outbox, deliveries, emails = OUTBOX, DELIVERIES, EMAILS
    statement = sa.select(
        sa.select(sa.func.count())
        .select_from(outbox)
        .where(outbox.c.dispatched_at.is_(None))
        .scalar_subquery(),
        *[
            sa.select(sa.func.count())
            .select_from(deliveries)
            .where(deliveries.c.status == status.value)
            .scalar_subquery()
            for status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
        ],
        *[
            sa.select(sa.func.count())
            .select_from(emails)
            .where(emails.c.status == status.value)
            .scalar_subquery()
            for status in (EmailStatus.PENDING, EmailStatus.QUEUED, EmailStatus.FAILED)
        ],
    )
    async with db.read_engine.connect() as connection:
        row = (await connection.execute(statement)).one()
    usage_pending, lag = await aggregator.pending(db)
    counts = [int(value or 0) for value in row]
    return QueueFigures(
        outbox_pending=counts[0],
        deliveries_pending=counts[1],
        deliveries_failed=counts[2],
        mails_pending=counts[3],
        mails_queued=counts[4],
        mails_failed=counts[5],
        usage_pending=usage_pending,
        usage_lag_seconds=lag,
    )


class _ProcessCollector(Collector):
    """What is read from the process when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        metrics = self.metrics
        db = metrics.db
        statements = CounterMetricFamily(
            "admiral_sql_statements", "SQL statements sent to the database."
        )
        statements.add_metric([], db.statements.total)
        yield statements

        pool = GaugeMetricFamily(
            "admiral_db_pool_connections_in_use",
            "Pooled database connections checked out now.",
            labels=["engine"],
        )
        engines = {"write": db.write_engine}
        if db.read_engine is not db.write_engine:
            engines["read"] = db.read_engine
        for name, engine in engines.items():
            checked_out = getattr(engine.pool, "checkedout", None)
            pool.add_metric([name], float(checked_out()) if callable(checked_out) else 0.0)
        yield pool

        figures = metrics.figures
        outbox = GaugeMetricFamily(
            "admiral_outbox_pending_events", "Outbox events not yet dispatched."
        )
        outbox.add_metric([], figures.outbox_pending)
        yield outbox
        deliveries = GaugeMetricFamily(
            "admiral_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        deliveries.add_metric(["pending"], figures.deliveries_pending)
        deliveries.add_metric(["failed"], figures.deliveries_failed)
        yield deliveries
        mails = GaugeMetricFamily(
            "admiral_mails",
            "Mails waiting (pending: to be sent; queued: no SMTP server) or failed.",
            labels=["status"],
        )
        mails.add_metric(["pending"], figures.mails_pending)
        mails.add_metric(["queued"], figures.mails_queued)
        mails.add_metric(["failed"], figures.mails_failed)
        yield mails

        usage_pending = GaugeMetricFamily(
            "admiral_usage_pending_events", "Usage events stored but not yet rolled up."
        )
        usage_pending.add_metric([], figures.usage_pending)
        yield usage_pending
        usage_lag = GaugeMetricFamily(
            "admiral_usage_lag_seconds", "Age of the oldest usage event not yet rolled up."
        )
        usage_lag.add_metric([], figures.usage_lag_seconds)
        yield usage_lag
        telemetry = aggregator.TELEMETRY
        flushed = CounterMetricFamily(
            "admiral_usage_flushed_events", "Usage events rolled up by this process."
        )
        flushed.add_metric([], telemetry.flushed_total)
        yield flushed
        flush_errors = CounterMetricFamily(
            "admiral_usage_flush_errors", "Failed flushes of this process's usage aggregator."
        )
        flush_errors.add_metric([], telemetry.errors_total)
        yield flush_errors

        if metrics.logs is not None:
            stats = metrics.logs.stats
            for name, value, help_text in (
                ("admiral_log_entries_dropped", stats.dropped, "Entries dropped: queue full."),
                (
                    "admiral_log_entries_sampled_out",
                    stats.sampled_out,
                    "INFO entries left out by the sample rate.",
                ),
                ("admiral_log_entries_written", stats.written, "Entries stored."),
                (
                    "admiral_log_entries_failed",
                    stats.failed,
                    "Entries lost because their batch could not be stored.",
                ),
            ):
                counter = CounterMetricFamily(name, help_text)
                counter.add_metric([], value)
                yield counter
            depth = GaugeMetricFamily(
                "admiral_log_queue_entries", "Entries waiting for the log writer."
            )
            depth.add_metric([], metrics.logs.pending)
            yield depth


class Metrics:
    def __init__(self, db: Database, logs: LogPipeline | None = None) -> None:
        self.db = db
        self.logs = logs
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "admiral_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "admiral_http_request_seconds",
            "HTTP request latency.",
            ["route"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.operations = Counter(
            "admiral_requests",
            "Requests by kind (graphql, rest), operation and outcome (ok, user_error, error).",
            ["kind", "operation", "outcome"],
            registry=self.registry,
        )
        self.operation_latency = Histogram(
            "admiral_request_duration_seconds",
            "Request latency by kind and operation.",
            ["kind", "operation"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.read_path = Counter(
            "admiral_read_path",
            "GraphQL queries by how they were executed (ordinary, compiled).",
            ["path"],
            registry=self.registry,
        )
        for path in READ_PATHS:
            self.read_path.labels(path)
        self.registry.register(_ProcessCollector(self))
        self._operation_names: set[str] = set()
        self.figures = QueueFigures()
        self._figures_at = float("-inf")
        self._figures_lock = asyncio.Lock()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def operation_label(self, scope: Scope) -> str:
        note = observed(scope)
        if note.operation_type is None:
            return "unknown"
        name = note.operation
        if name is None:
            return "anonymous"
        if name in self._operation_names:
            return name
        if note.principal_id is not None and len(self._operation_names) < MAX_OPERATION_NAMES:
            self._operation_names.add(name)
            return name
        return "other"

    def observe_request(self, scope: Scope, route: str, outcome: str, seconds: float) -> None:
        if route == GRAPHQL_ROUTE:
            kind, operation = "graphql", self.operation_label(scope)
            note = observed(scope)
            if note.operation_type == "query":
                self.read_path.labels(note.read_path).inc()
        else:
            kind, operation = "rest", route
        self.operations.labels(kind, operation, outcome).inc()
        self.operation_latency.labels(kind, operation).observe(seconds)

    async def refresh(self) -> None:
        """Re-read the queue figures when the last reading is older than the TTL."""
        if time.monotonic() - self._figures_at < QUEUE_FIGURES_TTL_SECONDS:
            return
        async with self._figures_lock:
            if time.monotonic() - self._figures_at < QUEUE_FIGURES_TTL_SECONDS:
                return
            self.figures = await read_queue_figures(self.db)
            self._figures_at = time.monotonic()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def _may_scrape(request: Request, settings: Settings) -> Response | None:
    """None when the caller may read the metrics, else the refusal."""
    if settings.metrics_public:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = None
    if scheme.lower() == "bearer" and token.strip():
        db: Database = request.app.state.db
        reader = db.reader()
        try:
            principal = await authenticate(token.strip(), reader, db, settings)
        finally:
            await reader.close()
    if principal is None:
        response = error_response(
            request,
            401,
            ErrorCode.UNAUTHENTICATED,
            "Send `Authorization: Bearer <master key>` (or set ADMIRAL_METRICS_PUBLIC).",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
        return response
    note_actor(request.scope, principal.actor)
    if not principal.is_master or principal.is_impersonation:
        return error_response(request, 403, ErrorCode.FORBIDDEN, "Metrics are for masters only.")
    return None


async def metrics_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    refusal = await _may_scrape(request, settings)
    if refusal is not None:
        return refusal
    metrics: Metrics = request.app.state.metrics
    await metrics.refresh()
    return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route("/metrics", metrics_endpoint)]
