"""Types of the system report and of background jobs (`app/ops/system.py`, `app/ops/jobs.py`)."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from app.graphql.usage.types import UsageAggregator
from app.kit.ids import encode
from app.models.customers import Customer
from app.ops import jobs, system

JobQueueEnum = strawberry.enum(
    jobs.JobQueue, name="JobQueue", description="A background queue whose jobs can be listed."
)
JobStatusEnum = strawberry.enum(jobs.JobStatus, name="JobStatus")


@strawberry.enum
class SystemStatus(enum.Enum):
    OK = "OK"
    DEGRADED = "DEGRADED"


@strawberry.type(description="The database connection pool of the process answering.")
class ConnectionPool:
    size: int
    in_use: int


@strawberry.type
class DatabaseHealth:
    ok: bool
    latency_ms: float | None
    migration_head: str | None = strawberry.field(
        description="The migration revision the database is at."
    )
    migrations_at_head: bool = strawberry.field(
        description="Whether that is the newest revision this version knows."
    )
    pool: ConnectionPool
    error: str | None


@strawberry.type
class RedisHealth:
    configured: bool
    ok: bool
    latency_ms: float | None


@strawberry.type(description="A background queue: its jobs by state and its lag.")
class QueueHealth:
    name: str
    loop: str = strawberry.field(description="The background loop that works this queue.")
    pending: int
    running: int
    failed: int
    oldest_age_seconds: float | None = strawberry.field(
        description="How long the longest-waiting due job has waited."
    )
    status: SystemStatus = strawberry.field(description="DEGRADED past 10 failed jobs.")


@strawberry.type
class StripeHealth:
    configured: bool
    reachable: bool | None = strawberry.field(description="Null when not configured.")


@strawberry.type(description="An outside service this process talks to.")
class DependencyHealth:
    name: str
    url: str = strawberry.field(description="Scheme, host and port only (no credentials).")
    ok: bool
    latency_ms: float | None
    error: str | None


@strawberry.type(description="The state of the system, as seen by the process answering.")
class System:
    version: str
    uptime_seconds: float
    status: SystemStatus = strawberry.field(
        description="DEGRADED when the database is down, a configured outside service does "
        "not answer, or a queue is DEGRADED."
    )
    database: DatabaseHealth
    redis: RedisHealth
    queues: list[QueueHealth] = strawberry.field(
        description="Every background queue (none while the database is down)."
    )
    usage_aggregator: UsageAggregator | None
    stripe: StripeHealth
    dependencies: list[DependencyHealth]

    @classmethod
    def of(cls, found: system.Report) -> System:
        db = found.database
        usage = found.usage_aggregator
        return cls(
            version=found.version,
            uptime_seconds=found.uptime_seconds,
            status=SystemStatus(found.status),
            database=DatabaseHealth(
                ok=db.ok,
                latency_ms=db.latency_ms,
                migration_head=db.migration_head,
                migrations_at_head=db.migrations_at_head,
                pool=ConnectionPool(size=db.pool.size, in_use=db.pool.in_use),
                error=db.error,
            ),
            redis=RedisHealth(
                configured=found.redis.configured,
                ok=found.redis.ok,
                latency_ms=found.redis.latency_ms,
            ),
            queues=[
                QueueHealth(
                    name=queue.name,
                    loop=queue.loop,
                    pending=queue.pending,
                    running=queue.running,
                    failed=queue.failed,
                    oldest_age_seconds=queue.oldest_age_seconds,
                    status=SystemStatus(queue.status),
                )
                for queue in found.queues
            ],
            usage_aggregator=None
            if usage is None
            else UsageAggregator.of(usage.telemetry, usage.pending_events, usage.lag_seconds),
            stripe=StripeHealth(
                configured=found.stripe.configured, reachable=found.stripe.reachable
            ),
            dependencies=[
                DependencyHealth(
                    name=dependency.name,
                    url=dependency.url,
                    ok=dependency.ok,
                    latency_ms=dependency.latency_ms,
                    error=dependency.error,
                )
                for dependency in found.dependencies
            ],
        )


@strawberry.type(
    description="A background job: a webhook delivery, a mail or a payment (its id is that "
    "object's id)."
)
class Job:
    id: strawberry.ID
    queue: JobQueueEnum  # type: ignore[valid-type]
    status: JobStatusEnum  # type: ignore[valid-type]
    subject: str | None = strawberry.field(
        description="The event type, the mail template, or the invoice number."
    )
    attempts: int
    last_error: str | None
    due_at: datetime | None = strawberry.field(description="When it runs next, if pending.")
    created_at: datetime
    customer_id: strawberry.ID | None

    @classmethod
    def of(cls, job: jobs.Job) -> Job:
        return cls(
            id=strawberry.ID(job.public_id),
            queue=job.queue,
            status=job.status,
            subject=job.subject,
            attempts=job.attempts,
            last_error=job.last_error,
            due_at=job.due_at,
            created_at=job.created_at,
            customer_id=None
            if job.customer_id is None
            else strawberry.ID(encode(Customer.PREFIX, job.customer_id)),
        )
