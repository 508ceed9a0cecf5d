"""The state of the system as an operator asks for it: `system` in GraphQL, `/health` in JSON.

One `report(...)` gathers it: the database (a ping, the migration it is at, the connection
pool), Redis, every background queue, the usage aggregator, Stripe and the other outside
services this process talks to. The checks of outside services run at once, each bounded by
`CHECK_TIMEOUT`, so a dead dependency costs one timeout, not one per dependency.

`status` is DEGRADED when the database is down, a configured outside service (Redis, Stripe,
SMTP) does not answer, or a queue is DEGRADED (more than `FAILED_THRESHOLD` failed jobs);
OK otherwise. Queues are read from the database: none are listed while it is down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import sqlalchemy as sa

import app
from app.db import Database
from app.keys.lastused import BUFFER
from app.kit import clock
from app.licenses.billing import candidates_statement, needs_reconcile
from app.licenses.loops import grace_of
from app.logs.config import log_settings
from app.models.base import UTCDateTime
from app.models.logs import LogEntry
from app.models.runtime_settings import AlertStatus, OpsAlert
from app.models.tables import BILLING_TEST_CLOCKS, OUTBOX_EVENTS, SUBSCRIPTIONS
from app.models.usage import USAGE_EVENTS
from app.ops import jobs
from app.settings import Settings
from app.usage import aggregator
from app.usage.aggregator import Telemetry

CHECK_TIMEOUT = 2.0
FAILED_THRESHOLD = 10
OK, DEGRADED = "OK", "DEGRADED"


@dataclass(frozen=True, slots=True)
class Pool:
    size: int
    in_use: int


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    ok: bool
    latency_ms: float | None
    migration_head: str | None  # the revision the database is at
    migrations_at_head: bool
    pool: Pool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RedisHealth:
    configured: bool
    ok: bool
    latency_ms: float | None


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    loop: str  # the background loop that works it (`app/<domain>/loops.py`)
    pending: int
    running: int
    failed: int
    oldest_age_seconds: float | None  # how long the longest-waiting due job has waited
    status: str


@dataclass(frozen=True, slots=True)
class Aggregator:
    telemetry: Telemetry
    pending_events: int
    lag_seconds: float


@dataclass(frozen=True, slots=True)
class Stripe:
    configured: bool
    reachable: bool | None


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    url: str  # without credentials
    ok: bool
    latency_ms: float | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    version: str
    uptime_seconds: float
    status: str
    database: DatabaseHealth
    redis: RedisHealth
    queues: list[Queue]
    usage_aggregator: Aggregator | None
    stripe: Stripe
    dependencies: list[Dependency] = field(default_factory=list)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _pool(db: Database) -> Pool:
    pool: Any = db.write_engine.pool
    size = getattr(pool, "size", None)
    checked_out = getattr(pool, "checkedout", None)
    return Pool(
        size=int(size()) if callable(size) else 0,
        in_use=int(checked_out()) if callable(checked_out) else 0,
    )


async def database_health(db: Database, expected_head: str | None) -> DatabaseHealth:
    started = time.perf_counter()
    try:
        async with db.read_engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
            latency = _ms(started)
            try:
                revision = (
                    await connection.execute(sa.text("SELECT version_num FROM alembic_version"))
                ).scalar()
            except sa.exc.DBAPIError:
                revision = None
    except Exception as error:  # any failure means "down"; the reason is reported, not raised
        return DatabaseHealth(False, None, None, False, _pool(db), type(error).__name__)
    head = None if revision is None else str(revision)
    return DatabaseHealth(
        True, latency, head, head is not None and head == expected_head, _pool(db)
    )


def _safe_url(url: str) -> str:
    """The URL without its user, password, path or query (never a secret in a report)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, "", "", ""))


async def _timed(name: str, url: str, check: Callable[[], Awaitable[None]]) -> Dependency:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as error:  # any failure means "down"
        return Dependency(name, _safe_url(url), False, None, type(error).__name__)
    return Dependency(name, _safe_url(url), True, _ms(started))


def dependency_checks(settings: Settings) -> list[Awaitable[Dependency]]:
    checks: list[Awaitable[Dependency]] = []
    if settings.redis_url:
        redis_url = settings.redis_url

        async def redis() -> None:
            from redis.asyncio import Redis

            client = Redis.from_url(
                redis_url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT
            )
            try:
                await client.ping()
            finally:
                await client.aclose()

        checks.append(_timed("redis", redis_url, redis))
    if settings.stripe_api_key is not None:
        base = settings.stripe_api_base.rstrip("/")

        async def stripe() -> None:
            # Any HTTP answer (401 without a key) means Stripe is there; the key is not sent.
            async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as client:
                await client.get(f"{base}/v1/charges")

        checks.append(_timed("stripe", base, stripe))
    if settings.smtp_url:
        parts = urlsplit(settings.smtp_url)
        host = parts.hostname or "localhost"
        port = parts.port or (465 if parts.scheme == "smtps" else 25)

        async def smtp() -> None:
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            await writer.wait_closed()

        checks.append(_timed("smtp", settings.smtp_url, smtp))
    return checks


def _age(now: datetime, oldest: Any) -> float | None:
    if oldest is None:
        return None
    if not isinstance(oldest, datetime):
        oldest = datetime.fromisoformat(str(oldest))
    moment = UTCDateTime().process_result_value(oldest, None)  # type: ignore[arg-type]
    assert moment is not None
    return round(max((now - moment).total_seconds(), 0.0), 3)


def _queue(name: str, loop: str, pending: int, running: int, failed: int, age: Any) -> Queue:
    return Queue(
        name, loop, pending, running, failed, age, DEGRADED if failed > FAILED_THRESHOLD else OK
    )


async def queues(db: Database, settings: Settings) -> list[Queue]:
    """Every background queue of the project, with the loop that works it."""
    now = clock.now()
    reader = db.reader()
    try:
        job_rows = jobs.jobs_subquery(now, active_only=True)
        due = sa.type_coerce(job_rows.c.due_at, UTCDateTime())
        counted: Sequence[Any] = await reader.all(
            sa.select(
                job_rows.c.queue,
                job_rows.c.status,
                sa.func.count(),
                sa.func.min(sa.case((due <= sa.literal(now, UTCDateTime()), due))),
            ).group_by(job_rows.c.queue, job_rows.c.status)
        )
        outbox: Any = (
            await reader.all(
                sa.select(
                    sa.func.count(),
                    sa.func.min(sa.type_coerce(OUTBOX_EVENTS.c.created_at, UTCDateTime())),
                ).where(OUTBOX_EVENTS.c.dispatched_at.is_(None))
            )
        )[0]
        s = SUBSCRIPTIONS.c
        renewals: Any = (
            await reader.all(
                sa.select(
                    sa.func.count(),
                    sa.func.min(sa.type_coerce(s.current_period_end, UTCDateTime())),
                ).where(
                    s.status != "CANCELED",
                    s.current_period_end <= sa.literal(now, UTCDateTime()),
                    ~sa.exists().where(BILLING_TEST_CLOCKS.c.customer_id == s.customer_id),
                )
            )
        )[0]
        usage: Any = (
            await reader.all(
                sa.select(
                    sa.func.count(),
                    sa.func.min(sa.type_coerce(USAGE_EVENTS.c.received_at, UTCDateTime())),
                ).where(USAGE_EVENTS.c.flush_batch.is_(None))
            )
        )[0]
        alerts = OpsAlert.__table__  # type: ignore[attr-defined]
        firing: Any = (
            await reader.all(
                sa.select(
                    sa.func.count(),
                    sa.func.count().filter(alerts.c.delivery_error.is_not(None)),
                    sa.func.min(sa.type_coerce(alerts.c.fired_at, UTCDateTime())),
                ).where(alerts.c.status == AlertStatus.FIRING.value)
            )
        )[0]
        retention = (await log_settings(db, settings)).retention_days
        entries = LogEntry.__table__  # type: ignore[attr-defined]
        expired: Any = (
            await reader.all(
                sa.select(
                    sa.func.count(),
                    sa.func.min(sa.type_coerce(entries.c.created_at, UTCDateTime())),
                ).where(
                    entries.c.created_at
                    < sa.literal(now - timedelta(days=retention), UTCDateTime())
                )
            )
        )[0]
        grace = grace_of(settings)
        licenses = sum(
            1 for row in await reader.all(candidates_statement()) if needs_reconcile(row, grace)
        )
    finally:
        await reader.close()
    by_queue: dict[str, dict[str, tuple[int, Any]]] = {}
    for queue, status, count, oldest in counted:
        by_queue.setdefault(queue, {})[status] = (int(count), oldest)

    def job_queue(queue: jobs.JobQueue, loop: str) -> Queue:
        found = by_queue.get(queue.value, {})
        pending, oldest = found.get(jobs.JobStatus.PENDING.value, (0, None))
        running = found.get(jobs.JobStatus.RUNNING.value, (0, None))[0]
        failed = found.get(jobs.JobStatus.FAILED.value, (0, None))[0]
        return _queue(queue.value, loop, pending, running, failed, _age(now, oldest))

    return [
        _queue("outbox", "webhook-dispatcher", int(outbox[0]), 0, 0, _age(now, outbox[1])),
        job_queue(jobs.JobQueue.WEBHOOK_DELIVERIES, "webhook-dispatcher"),
        job_queue(jobs.JobQueue.EMAILS, "mail-dispatcher"),
        _queue(
            "billing_renewals", "billing-renewals", int(renewals[0]), 0, 0, _age(now, renewals[1])
        ),
        job_queue(jobs.JobQueue.PAYMENTS, "billing-renewals"),
        _queue("usage_aggregation", "usage-aggregator", int(usage[0]), 0, 0, _age(now, usage[1])),
        _queue("license_billing", "license-billing", licenses, 0, 0, None),
        # Firing alerts; a failed one is an alert whose post to the alert webhook was refused.
        _queue("alerts", "ops-alerts", int(firing[0]), 0, int(firing[1]), _age(now, firing[2])),
        # Stored log entries past their retention, which the next prune deletes.
        _queue("log_retention", "log-retention", int(expired[0]), 0, 0, _age(now, expired[1])),
        # In this process's memory: other processes have buffers of their own.
        _queue("keys_last_used", "keys-last-used", len(BUFFER), 0, 0, None),
    ]


async def report(
    db: Database, settings: Settings, *, expected_head: str | None, started_monotonic: float
) -> Report:
    checks = dependency_checks(settings)
    database, *dependencies = await asyncio.gather(database_health(db, expected_head), *checks)
    assert isinstance(database, DatabaseHealth)
    found: list[Dependency] = [d for d in dependencies if isinstance(d, Dependency)]
    by_name = {dependency.name: dependency for dependency in found}
    redis = by_name.get("redis")
    stripe = by_name.get("stripe")
    listed: list[Queue] = []
    usage: Aggregator | None = None
    if database.ok:
        listed = await queues(db, settings)
        pending, lag = await aggregator.pending(db)
        usage = Aggregator(aggregator.TELEMETRY, pending, lag)
    degraded = (
        not database.ok
        or any(not dependency.ok for dependency in found)
        or any(queue.status == DEGRADED for queue in listed)
    )
    return Report(
        version=app.__version__,
        uptime_seconds=round(time.monotonic() - started_monotonic, 3),
        status=DEGRADED if degraded else OK,
        database=database,
        redis=RedisHealth(
            configured=redis is not None,
            ok=redis is not None and redis.ok,
            latency_ms=None if redis is None else redis.latency_ms,
        ),
        queues=listed,
        usage_aggregator=usage,
        stripe=Stripe(
            configured=settings.stripe_api_key is not None,
            reachable=None if stripe is None else stripe.ok,
        ),
        dependencies=found,
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(key): _jsonable(item) for key, item in value.items() if key != "extra"}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def as_json(found: Report) -> dict[str, Any]:
    """The report with the field names of the GraphQL `system` field."""
    body: dict[str, Any] = _jsonable(asdict(found))
    usage = body.pop("usageAggregator")
    if usage is not None:
        usage = {**usage.pop("telemetry"), **usage}
    body["usageAggregator"] = usage
    return body
