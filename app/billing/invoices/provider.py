"""An invoice paid, or its payment failed, as its payment provider reports (Stripe webhooks).

Like `pay_invoice` does for a charge made here: the invoice's state, a payment attempt for a
failure, one audit event and the outbox event (`invoice.paid`, `invoice.payment_failed`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.billing.invoices.service import _event, _record, _view
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice, InvoiceStatus, PaymentAttempt, PaymentAttemptStatus


async def by_provider_id(uow: UnitOfWork, stripe_invoice_id: str) -> Invoice | None:
    statement = sa.select(Invoice).where(
        Invoice.stripe_invoice_id == stripe_invoice_id  # type: ignore[arg-type]
    )
    found: Invoice | None = (await uow.session.execute(statement.limit(1))).scalar_one_or_none()
    return found


async def mark_paid(uow: UnitOfWork, invoice: Invoice, *, paid_at: datetime) -> None:
    before = _view(invoice)
    invoice.amount_paid += invoice.amount_due
    invoice.amount_due = 0
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = paid_at
    await uow.session.flush()
    _record(uow, "invoice.provider_paid", invoice, before)
    uow.publish("invoice.paid", _event(invoice), customer_id=invoice.customer_id)


async def mark_payment_failed(
    uow: UnitOfWork, invoice: Invoice, *, attempted_at: datetime, message: str | None
) -> None:
    before = _view(invoice)
    uow.session.add(
        PaymentAttempt(
            invoice_id=invoice.id,
            customer_id=invoice.customer_id,
            attempted_at=attempted_at,
            status=PaymentAttemptStatus.FAILED,
            amount=invoice.amount_due,
            gateway="stripe",
            provider_payment_id=invoice.stripe_invoice_id,
            failure_message=(message or "Stripe could not collect the invoice.")[:500],
        )
    )
    await uow.session.flush()
    _record(uow, "invoice.provider_payment_failed", invoice, before)
    uow.publish("invoice.payment_failed", _event(invoice), customer_id=invoice.customer_id)
