"""What the billing engine reads and claims: due subscriptions, due payment retries, pending
proration items, test clocks.

Claims are safe in several processes at once: on PostgreSQL the row is locked with
`FOR UPDATE SKIP LOCKED` (a second runner skips it rather than waiting), and whoever gets it
checks it is still due in the same statement, so a renewal committed meanwhile is not run
twice; SQLite has one writer, which serializes the claims.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.billing import BillingTestClock, PendingInvoiceItem, Subscription
from app.models.invoices import InvoiceStatus, PaymentAttempt, PaymentAttemptStatus
from app.models.tables import (
    BILLING_TEST_CLOCKS,
    INVOICES,
    PAYMENT_ATTEMPTS,
    PENDING_INVOICE_ITEMS,
    SUBSCRIPTIONS,
)

DUE_BATCH = 100


def _live() -> sa.ColumnElement[bool]:
    return SUBSCRIPTIONS.c.status != "CANCELED"


def _without_test_clock(column: sa.ColumnElement[uuid.UUID]) -> sa.ColumnElement[bool]:
    """Customers on a test clock renew only when their clock is advanced."""
    return ~sa.exists().where(BILLING_TEST_CLOCKS.c.customer_id == column)


async def due_subscription_ids(
    session: AsyncSession, at: datetime, customer_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Live subscriptions whose period ended by `at`, the earliest first: all of them without
    a test clock, or the one of `customer_id`."""
    statement = sa.select(SUBSCRIPTIONS.c.id).where(
        _live(), SUBSCRIPTIONS.c.current_period_end <= at
    )
    if customer_id is None:
        statement = statement.where(_without_test_clock(SUBSCRIPTIONS.c.customer_id))
    else:
        statement = statement.where(SUBSCRIPTIONS.c.customer_id == customer_id)
    statement = statement.order_by(SUBSCRIPTIONS.c.current_period_end).limit(DUE_BATCH)
    return list((await session.execute(statement)).scalars())


async def claim_due_subscription(
    session: AsyncSession, dialect: str, subscription_id: uuid.UUID, at: datetime
) -> Subscription | None:
    """The subscription, locked, if it is still live and due at `at`; None when another
    runner holds it or has renewed it already."""
    statement = sa.select(Subscription).where(
        SUBSCRIPTIONS.c.id == subscription_id,
        _live(),
        SUBSCRIPTIONS.c.current_period_end <= at,
    )
    statement = statement.with_for_update(skip_locked=dialect == "postgresql")
    return (await session.execute(statement)).scalar_one_or_none()


def _due_retries(at: datetime) -> sa.Select[Any]:
    return (
        sa.select(PAYMENT_ATTEMPTS.c.id)
        .select_from(
            PAYMENT_ATTEMPTS.join(INVOICES, INVOICES.c.id == PAYMENT_ATTEMPTS.c.invoice_id)
        )
        .where(
            PAYMENT_ATTEMPTS.c.next_attempt_at.is_not(None),
            PAYMENT_ATTEMPTS.c.next_attempt_at <= at,
            INVOICES.c.status == InvoiceStatus.OPEN.value,
        )
        .order_by(PAYMENT_ATTEMPTS.c.next_attempt_at)
    )


async def due_retry_ids(
    session: AsyncSession, at: datetime, customer_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    statement = _due_retries(at)
    if customer_id is None:
        statement = statement.where(_without_test_clock(PAYMENT_ATTEMPTS.c.customer_id))
    else:
        statement = statement.where(PAYMENT_ATTEMPTS.c.customer_id == customer_id)
    found: list[uuid.UUID] = list((await session.execute(statement.limit(DUE_BATCH))).scalars())
    return found


async def claim_retry(session: AsyncSession, attempt_id: uuid.UUID) -> PaymentAttempt | None:
    """Take the planned retry of a failed attempt (a conditional UPDATE: exactly one runner
    sees a row changed); the attempt, or None when another runner took it."""
    statement = (
        sa.update(PAYMENT_ATTEMPTS)
        .where(PAYMENT_ATTEMPTS.c.id == attempt_id, PAYMENT_ATTEMPTS.c.next_attempt_at.is_not(None))
        .values(next_attempt_at=None)
    )
    result = await session.execute(statement)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(PaymentAttempt, attempt_id, populate_existing=True)


async def failed_attempts(session: AsyncSession, invoice_id: uuid.UUID) -> list[PaymentAttempt]:
    statement = (
        sa.select(PaymentAttempt)
        .where(
            PAYMENT_ATTEMPTS.c.invoice_id == invoice_id,
            PAYMENT_ATTEMPTS.c.status == PaymentAttemptStatus.FAILED.value,
        )
        .order_by(PAYMENT_ATTEMPTS.c.attempted_at, PAYMENT_ATTEMPTS.c.id)
    )
    return list((await session.execute(statement)).scalars())


async def next_retry_at(session: AsyncSession, customer_id: uuid.UUID) -> datetime | None:
    statement = (
        sa.select(sa.func.min(PAYMENT_ATTEMPTS.c.next_attempt_at))
        .select_from(
            PAYMENT_ATTEMPTS.join(INVOICES, INVOICES.c.id == PAYMENT_ATTEMPTS.c.invoice_id)
        )
        .where(
            PAYMENT_ATTEMPTS.c.customer_id == customer_id,
            INVOICES.c.status == InvoiceStatus.OPEN.value,
        )
    )
    found: datetime | None = await session.scalar(statement)
    return found


async def uninvoiced_items(
    session: AsyncSession, customer_id: uuid.UUID, currency: str
) -> list[PendingInvoiceItem]:
    """The customer's pending items no invoice has picked up yet, oldest first, locked."""
    statement = (
        sa.select(PendingInvoiceItem)
        .where(
            PENDING_INVOICE_ITEMS.c.customer_id == customer_id,
            PENDING_INVOICE_ITEMS.c.currency == currency,
            PENDING_INVOICE_ITEMS.c.invoice_id.is_(None),
        )
        .order_by(PENDING_INVOICE_ITEMS.c.created_at, PENDING_INVOICE_ITEMS.c.id)
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def items_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[PendingInvoiceItem]:
    statement = sa.select(PendingInvoiceItem).where(PENDING_INVOICE_ITEMS.c.id.in_(ids))
    return list((await session.execute(statement)).scalars())


async def test_clock_of(session: AsyncSession, customer_id: uuid.UUID) -> BillingTestClock | None:
    statement = (
        sa.select(BillingTestClock)
        .where(BILLING_TEST_CLOCKS.c.customer_id == customer_id)
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def frozen_time_of(session: AsyncSession, customer_id: uuid.UUID) -> datetime | None:
    statement = sa.select(BILLING_TEST_CLOCKS.c.frozen_time).where(
        BILLING_TEST_CLOCKS.c.customer_id == customer_id
    )
    found: datetime | None = await session.scalar(statement)
    return found
