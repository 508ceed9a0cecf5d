"""Background jobs, one view over the tables each queue keeps: list, retry, discard.

No job table: a webhook delivery, a mail and a failed payment already carry their state in
their own rows (`webhook_deliveries`, `emails`, `payment_attempts` with its invoice). Each
queue here is one SELECT giving the same columns (queue, id, customer, status, subject,
attempts, last error, when due, created); the job list is their `UNION ALL` under one keyset
ordering, so a page is one statement whatever the queues.

Statuses: PENDING (waiting, due now or later), RUNNING (leased by a dispatcher right now),
SUCCEEDED, FAILED (attempts ran out), DISCARDED (given up by an operator). A payment job is
the latest attempt of an invoice: PENDING with a retry planned, FAILED when the invoice is
still open without one, SUCCEEDED once paid, DISCARDED once voided or uncollectible.

`retry` queues a PENDING, FAILED or DISCARDED job again, due now (a webhook delivery through
the webhooks service, with a fresh set of attempts); `discard` gives a PENDING or FAILED job
up (a payment: its invoice is marked uncollectible). A RUNNING or SUCCEEDED job is
INVALID_STATE; an unknown one NOT_FOUND.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.invoices import service as invoices
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.mail.templates import uses_link
from app.models.base import UTCDateTime
from app.models.invoices import InvoiceStatus, PaymentAttempt
from app.models.mail import Email, EmailStatus
from app.models.tables import (
    EMAILS,
    INVOICES,
    PAYMENT_ATTEMPTS,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_DELIVERIES,
)
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.webhooks import service as webhooks


class JobQueue(enum.StrEnum):
    WEBHOOK_DELIVERIES = "webhook_deliveries"
    EMAILS = "emails"
    PAYMENTS = "payments"


class JobStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    DISCARDED = "DISCARDED"


PREFIXES: dict[JobQueue, str] = {
    JobQueue.WEBHOOK_DELIVERIES: WebhookDelivery.PREFIX,
    JobQueue.EMAILS: Email.PREFIX,
    JobQueue.PAYMENTS: PaymentAttempt.PREFIX,
}
TARGETS: dict[JobQueue, str] = {
    JobQueue.WEBHOOK_DELIVERIES: "WebhookDelivery",
    JobQueue.EMAILS: "Email",
    JobQueue.PAYMENTS: "PaymentAttempt",
}
COLUMNS = (
    "queue",
    "id",
    "customer_id",
    "status",
    "subject",
    "attempts",
    "last_error",
    "due_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class Job:
    queue: JobQueue
    id: uuid.UUID
    customer_id: uuid.UUID | None
    status: JobStatus
    subject: str | None
    attempts: int
    last_error: str | None
    due_at: datetime | None
    created_at: datetime

    @property
    def public_id(self) -> str:
        return encode(PREFIXES[self.queue], self.id)


def _text(column: Any) -> Any:
    return sa.type_coerce(column, sa.String())


def _at(value: datetime) -> Any:
    return sa.literal(value, UTCDateTime())


def _leased(lease_until: Any, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(lease_until.is_not(None), lease_until > _at(now))


def _deliveries(now: datetime, active_only: bool) -> sa.Select[Any]:
    d = WEBHOOK_DELIVERIES.c
    status = sa.case(
        (sa.and_(d.status == DeliveryStatus.PENDING.value, _leased(d.lease_until, now)), "RUNNING"),
        else_=_text(d.status),
    )
    statement = sa.select(
        sa.literal(JobQueue.WEBHOOK_DELIVERIES.value).label("queue"),
        d.id.label("id"),
        d.customer_id.label("customer_id"),
        status.label("status"),
        d.event_type.label("subject"),
        d.attempt_count.label("attempts"),
        sa.null().label("last_error"),  # from the attempts, for the page only (`_errors`)
        d.next_attempt_at.label("due_at"),
        d.created_at.label("created_at"),
    )
    if active_only:
        statement = statement.where(
            d.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value])
        )
    return statement


def _emails(now: datetime, active_only: bool) -> sa.Select[Any]:
    e = EMAILS.c
    waiting = [EmailStatus.PENDING.value, EmailStatus.QUEUED.value]
    status = sa.case(
        (sa.and_(e.status.in_(waiting), _leased(e.lease_until, now)), "RUNNING"),
        (e.status.in_(waiting), "PENDING"),
        (e.status == EmailStatus.SENT.value, "SUCCEEDED"),
        else_=_text(e.status),
    )
    statement = sa.select(
        sa.literal(JobQueue.EMAILS.value).label("queue"),
        e.id.label("id"),
        e.customer_id.label("customer_id"),
        status.label("status"),
        e.template.label("subject"),
        e.attempt_count.label("attempts"),
        e.last_error.label("last_error"),
        e.next_attempt_at.label("due_at"),
        e.created_at.label("created_at"),
    )
    if active_only:
        statement = statement.where(e.status.in_([*waiting, EmailStatus.FAILED.value]))
    return statement


def _payments(now: datetime, active_only: bool) -> sa.Select[Any]:
    p, i = PAYMENT_ATTEMPTS.c, INVOICES.c
    later = PAYMENT_ATTEMPTS.alias("later")
    latest = ~sa.exists().where(
        later.c.invoice_id == p.invoice_id,
        sa.or_(
            later.c.attempted_at > p.attempted_at,
            sa.and_(later.c.attempted_at == p.attempted_at, later.c.id > p.id),
        ),
    )
    earlier = PAYMENT_ATTEMPTS.alias("earlier")
    attempts = (
        sa.select(sa.func.count())
        .where(earlier.c.invoice_id == p.invoice_id)
        .correlate(PAYMENT_ATTEMPTS)
        .scalar_subquery()
    )
    status = sa.case(
        (sa.or_(p.status == "SUCCEEDED", i.status == InvoiceStatus.PAID.value), "SUCCEEDED"),
        (i.status != InvoiceStatus.OPEN.value, "DISCARDED"),
        (p.next_attempt_at.is_not(None), "PENDING"),
        else_="FAILED",
    )
    statement = (
        sa.select(
            sa.literal(JobQueue.PAYMENTS.value).label("queue"),
            p.id.label("id"),
            p.customer_id.label("customer_id"),
            status.label("status"),
            i.number.label("subject"),
            attempts.label("attempts"),
            p.failure_message.label("last_error"),
            p.next_attempt_at.label("due_at"),
            p.attempted_at.label("created_at"),
        )
        .select_from(PAYMENT_ATTEMPTS.join(INVOICES, i.id == p.invoice_id))
        .where(latest)
    )
    if active_only:
        statement = statement.where(p.status == "FAILED", i.status == InvoiceStatus.OPEN.value)
    return statement


SOURCES = {
    JobQueue.WEBHOOK_DELIVERIES: _deliveries,
    JobQueue.EMAILS: _emails,
    JobQueue.PAYMENTS: _payments,
}


def jobs_subquery(
    now: datetime, queues: Sequence[JobQueue] | None = None, *, active_only: bool = False
) -> sa.Subquery:
    chosen = list(queues) if queues else list(JobQueue)
    selects = [SOURCES[queue](now, active_only) for queue in chosen]
    union = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    return union.subquery("jobs")


@dataclass(frozen=True, slots=True)
class Filter:
    queue: JobQueue | None = None
    status: JobStatus | None = None
    customer_id: uuid.UUID | None = None


def _filtered(jobs: sa.Subquery, given: Filter) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if given.status is not None:
        where.append(jobs.c.status == given.status.value)
    if given.customer_id is not None:
        where.append(jobs.c.customer_id == given.customer_id)
    return where


def page_statement(
    now: datetime, given: Filter, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> sa.Select[Any]:
    """Newest first (creation time, then id), after the keyset `after`."""
    jobs = jobs_subquery(now, [given.queue] if given.queue else None)
    statement = sa.select(*(jobs.c[name] for name in COLUMNS)).where(*_filtered(jobs, given))
    if after is not None:
        created, row_id = after
        created_at = sa.type_coerce(jobs.c.created_at, UTCDateTime())
        statement = statement.where(
            sa.or_(
                created_at < _at(created),
                sa.and_(created_at == _at(created), jobs.c.id < row_id),
            )
        )
    return statement.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)


def count_statement(now: datetime, given: Filter) -> sa.Select[Any]:
    jobs = jobs_subquery(now, [given.queue] if given.queue else None)
    return sa.select(sa.func.count()).select_from(jobs).where(*_filtered(jobs, given))


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def job_of(row: Any, errors: dict[uuid.UUID, str] | None = None) -> Job:
    row_id = _uuid(row.id)
    created = _time(row.created_at)
    assert created is not None
    return Job(
        queue=JobQueue(row.queue),
        id=row_id,
        customer_id=None if row.customer_id is None else _uuid(row.customer_id),
        status=JobStatus(row.status),
        subject=row.subject,
        attempts=int(row.attempts or 0),
        last_error=row.last_error if errors is None else errors.get(row_id, row.last_error),
        due_at=_time(row.due_at),
        created_at=created,
    )


def errors_statement(delivery_ids: Sequence[uuid.UUID]) -> sa.Select[Any]:
    """The latest attempt of each delivery: its error, or the status code it answered."""
    a = WEBHOOK_ATTEMPTS.c
    later = WEBHOOK_ATTEMPTS.alias("later")
    latest = ~sa.exists().where(
        later.c.delivery_id == a.delivery_id,
        sa.or_(
            later.c.attempted_at > a.attempted_at,
            sa.and_(later.c.attempted_at == a.attempted_at, later.c.id > a.id),
        ),
    )
    return sa.select(a.delivery_id, a.status_code, a.error).where(
        a.delivery_id.in_(list(delivery_ids)), latest
    )


def errors_from(rows: Sequence[Any]) -> dict[uuid.UUID, str]:
    found: dict[uuid.UUID, str] = {}
    for row in rows:
        if row.error:
            found[_uuid(row.delivery_id)] = row.error
        elif row.status_code is not None and not 200 <= row.status_code < 300:
            found[_uuid(row.delivery_id)] = f"HTTP {row.status_code}"
    return found


async def find(session: AsyncSession, queue: JobQueue, job_id: uuid.UUID) -> Job | None:
    jobs = jobs_subquery(clock.now(), [queue])
    row = (
        await session.execute(sa.select(*(jobs.c[n] for n in COLUMNS)).where(jobs.c.id == job_id))
    ).first()
    if row is None:
        return None
    errors = None
    if queue is JobQueue.WEBHOOK_DELIVERIES:
        errors = errors_from((await session.execute(errors_statement([job_id]))).all())
    return job_of(row, errors)


# ---------------------------------------------------------------- retry and discard


async def _locked(uow: UnitOfWork, queue: JobQueue, job_id: uuid.UUID) -> Job:
    """The job, its row locked (PostgreSQL; SQLite's writer lock is held already)."""
    table = {
        JobQueue.WEBHOOK_DELIVERIES: WEBHOOK_DELIVERIES,
        JobQueue.EMAILS: EMAILS,
        JobQueue.PAYMENTS: PAYMENT_ATTEMPTS,
    }[queue]
    if uow.dialect == "postgresql":
        await uow.session.execute(
            sa.select(table.c.id).where(table.c.id == job_id).with_for_update()
        )
    found = await find(uow.session, queue, job_id)
    if found is None:
        raise not_found("Job", "id")
    return found


def _refuse(job: Job, what: str) -> UserInputError:
    return UserInputError(
        f"A {job.status.value} job cannot be {what}.", ErrorCode.INVALID_STATE, "id"
    )


def _audit(uow: UnitOfWork, action: str, before: Job, after: Job) -> None:
    uow.record(
        action,
        TARGETS[before.queue],
        before.public_id,
        before={"status": before.status, "dueAt": before.due_at},
        after={"status": after.status, "dueAt": after.due_at},
        customer_id=before.customer_id,
    )


async def retry(uow: UnitOfWork, queue: JobQueue, job_id: uuid.UUID) -> Job:
    job = await _locked(uow, queue, job_id)
    if job.status not in (JobStatus.PENDING, JobStatus.FAILED, JobStatus.DISCARDED):
        raise _refuse(job, "retried")
    now = clock.now()
    if queue is JobQueue.WEBHOOK_DELIVERIES:
        # The webhooks service's own retry: its rules (the endpoint enabled) and its audit.
        await webhooks.retry_delivery(uow, delivery_id=job_id)
    elif queue is JobQueue.EMAILS:
        row = (
            await uow.session.execute(
                sa.select(EMAILS.c.link_encrypted, EMAILS.c.template).where(EMAILS.c.id == job_id)
            )
        ).one()
        if row.link_encrypted is None and uses_link(row.template):
            raise UserInputError(
                "This mail's secret link was erased (it failed or was discarded): send a new one "
                "(a new invitation or reset) instead.",
                ErrorCode.INVALID_STATE,
                "id",
            )
        await uow.session.execute(
            sa.update(EMAILS)
            .where(EMAILS.c.id == job_id)
            .values(status=EmailStatus.PENDING, next_attempt_at=now, attempt_count=0)
        )
    else:
        if job.status is JobStatus.DISCARDED:
            raise UserInputError(
                "The invoice of this payment is no longer open.",
                ErrorCode.INVALID_STATE,
                "id",
            )
        # Due now: the renewal loop retries it at its next step, as any planned retry.
        await uow.session.execute(
            sa.update(PAYMENT_ATTEMPTS)
            .where(PAYMENT_ATTEMPTS.c.id == job_id)
            .values(next_attempt_at=now)
        )
    after = await find(uow.session, queue, job_id)
    assert after is not None
    if queue is not JobQueue.WEBHOOK_DELIVERIES:
        _audit(uow, "job.retry", job, after)
    return after


async def discard(uow: UnitOfWork, queue: JobQueue, job_id: uuid.UUID) -> Job:
    job = await _locked(uow, queue, job_id)
    if job.status not in (JobStatus.PENDING, JobStatus.FAILED):
        raise _refuse(job, "discarded")
    now = clock.now()
    if queue is JobQueue.WEBHOOK_DELIVERIES:
        await uow.session.execute(
            sa.update(WEBHOOK_DELIVERIES)
            .where(WEBHOOK_DELIVERIES.c.id == job_id)
            .values(status=DeliveryStatus.DISCARDED, next_attempt_at=None, updated_at=now)
        )
    elif queue is JobQueue.EMAILS:
        # Never sent: its secret link goes at once.
        await uow.session.execute(
            sa.update(EMAILS)
            .where(EMAILS.c.id == job_id)
            .values(status=EmailStatus.DISCARDED, next_attempt_at=None, link_encrypted=None)
        )
    else:
        invoice_id = (
            await uow.session.execute(
                sa.select(PAYMENT_ATTEMPTS.c.invoice_id).where(PAYMENT_ATTEMPTS.c.id == job_id)
            )
        ).scalar_one()
        await uow.session.execute(
            sa.update(PAYMENT_ATTEMPTS)
            .where(PAYMENT_ATTEMPTS.c.invoice_id == invoice_id)
            .values(next_attempt_at=None)
        )
        # Giving a payment up is giving the invoice up: the invoices service's own rule.
        await invoices.mark_uncollectible(uow, invoice_id)
    after = await find(uow.session, queue, job_id)
    assert after is not None
    _audit(uow, "job.discard", job, after)
    return after
