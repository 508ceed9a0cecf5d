"""Billing mutations for a customer on a test clock run at that customer's billing now (their
clock's time), so a plan change, an invoice or a discount sees the same time as the renewals
the clock has run; everyone else's run at the real clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.billing.renewal.testclock import billing_now
from app.kit import clock
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice


@asynccontextmanager
async def customer_time(uow: UnitOfWork, customer_id: uuid.UUID | None) -> AsyncIterator[None]:
    moment = None if customer_id is None else await billing_now(uow, customer_id)
    if moment is None:
        yield
        return
    with clock.pinned(moment):
        yield


@asynccontextmanager
async def invoice_time(uow: UnitOfWork, invoice_id: uuid.UUID) -> AsyncIterator[None]:
    found = await uow.session.get(Invoice, invoice_id)
    async with customer_time(uow, None if found is None else found.customer_id):
        yield
