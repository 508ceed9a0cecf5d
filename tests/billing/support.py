"""Helpers of the billing tests: row counts of the billing tables, audit and outbox events."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.models.tables import (
    AUDIT_EVENTS,
    BILLING_TEST_CLOCKS,
    CREDIT_TRANSACTIONS,
    DISCOUNTS,
    IDEMPOTENCY_RECORDS,
    INVOICE_DISCOUNTS,
    INVOICE_LINES,
    INVOICES,
    OUTBOX_EVENTS,
    PAYMENT_ATTEMPTS,
    PENDING_INVOICE_ITEMS,
    PLAN_VERSIONS,
    PLANS,
    SUBSCRIPTIONS,
)
from tests.support import rows

TABLES = {
    "plans": PLANS,
    "plan_versions": PLAN_VERSIONS,
    "subscriptions": SUBSCRIPTIONS,
    "pending_invoice_items": PENDING_INVOICE_ITEMS,
    "invoices": INVOICES,
    "invoice_lines": INVOICE_LINES,
    "invoice_discounts": INVOICE_DISCOUNTS,
    "payment_attempts": PAYMENT_ATTEMPTS,
    "discounts": DISCOUNTS,
    "credit_transactions": CREDIT_TRANSACTIONS,
    "billing_test_clocks": BILLING_TEST_CLOCKS,
    "audit_events": AUDIT_EVENTS,
    "outbox_events": OUTBOX_EVENTS,
    "idempotency_records": IDEMPOTENCY_RECORDS,
}


async def counts(db: Database) -> dict[str, int]:
    found = {}
    for name, table in TABLES.items():
        statement = sa.select(sa.func.count()).select_from(table)
        found[name] = int((await rows(db, statement))[0][0])
    return found


async def snapshot(db: Database) -> Any:
    """Every row the billing mutations may change, to prove a dry run changed none."""
    found = {}
    for name, table in TABLES.items():
        if name in ("audit_events", "outbox_events", "idempotency_records"):
            continue
        found[name] = [
            tuple(row)
            for row in await rows(db, sa.select(table).order_by(*table.primary_key.columns))
        ]
    return found, await counts(db)


async def events(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)


async def outbox(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(OUTBOX_EVENTS).order_by(OUTBOX_EVENTS.c.created_at))


async def pending_items(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(PENDING_INVOICE_ITEMS).order_by(PENDING_INVOICE_ITEMS.c.amount))


async def attempts(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(PAYMENT_ATTEMPTS).order_by(PAYMENT_ATTEMPTS.c.attempted_at))
