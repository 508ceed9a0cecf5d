"""Plan changes that invoice at once (`ALWAYS_INVOICE`): the change's proration items on an
invoice of their own, finalized (discounts, tax) and paid through the gateway."""

from __future__ import annotations

from app.billing.gateway.base import BillingGateway
from app.billing.invoices import service as invoices
from app.billing.renewal.invoicing import finalize
from app.billing.subscriptions.service import PlanChange
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice, InvoiceLineKind, InvoiceStatus


async def invoice_change(
    uow: UnitOfWork, change: PlanChange, gateway: BillingGateway, idempotency_key: str | None
) -> Invoice | None:
    """Invoice `change.pending_items` now and pay it (None when the change prorated nothing).
    Only this change's items: older pending items wait for the next renewal."""
    items = change.pending_items
    if not items:
        return None
    subscription = change.subscription
    draft = await invoices.draft_invoice(
        uow,
        customer_id=subscription.customer_id,
        currency=subscription.currency,
        subscription_id=subscription.id,
        period_start=min(item.period_start for item in items),
        period_end=max(item.period_end for item in items),
        lines=[
            invoices.LineDraft(
                item.description,
                unit_amount=item.amount,
                kind=InvoiceLineKind.PRORATION,
                period_start=item.period_start,
                period_end=item.period_end,
            )
            for item in items
        ],
    )
    for item in items:
        item.invoice_id = draft.id
    await uow.session.flush()
    invoice = await finalize(uow, draft.id, pick_up_pending=False)
    if invoice.status is InvoiceStatus.OPEN:
        invoice = await invoices.pay_invoice(uow, invoice.id, gateway, idempotency_key)
    return invoice
