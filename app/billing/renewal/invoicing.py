"""Finalizing an invoice the way billing means it: the customer's pending proration items on
a subscription invoice, then their active discounts (counted against in the same unit of
work), then `invoices.service.finalize_invoice` for tax, number and credit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from app.billing.coupons import service as coupons
from app.billing.coupons.amounts import BASIS_POINTS, ActiveDiscount
from app.billing.invoices import repository as invoices_repository
from app.billing.invoices import service as invoices
from app.billing.renewal import repository
from app.kit import clock
from app.kit.errors import not_found
from app.kit.ids import uuid7
from app.kit.uow import UnitOfWork
from app.models.billing import PendingInvoiceItem, Plan, Subscription
from app.models.customers import Customer
from app.models.invoices import Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus


def discount_draft(discount: ActiveDiscount) -> invoices.DiscountDraft:
    percent = None
    if discount.percent_off_bp is not None:
        percent = str(Decimal(discount.percent_off_bp) / (BASIS_POINTS // 100))
    return invoices.DiscountDraft(
        name=f"Coupon {discount.code}",
        coupon_code=discount.code,
        percent_off=percent,
        amount_off=None if percent is not None else discount.amount_off,
    )


def applicable(
    discounts: Sequence[ActiveDiscount], invoice: Invoice, plan_code: str | None
) -> list[ActiveDiscount]:
    """The discounts that take something off this invoice: on its plan (when the coupon names
    plans), in its currency (amount off), and on its subscription when tied to one."""
    found = []
    for discount in discounts:
        if discount.applies_to_plans is not None and plan_code not in discount.applies_to_plans:
            continue
        if discount.percent_off_bp is None and discount.currency != invoice.currency:
            continue
        if (
            discount.subscription_id is not None
            and invoice.subscription_id is not None
            and discount.subscription_id != invoice.subscription_id
        ):
            continue
        found.append(discount)
    return found


async def add_pending_items(
    uow: UnitOfWork, invoice: Invoice, items: Sequence[PendingInvoiceItem]
) -> None:
    """Put `items` on the DRAFT `invoice` as proration lines and mark them invoiced."""
    existing = await invoices_repository.lines_of(uow.session, invoice.id)
    now = clock.now()
    ids = sorted(uuid7() for _ in items)
    for index, item in enumerate(items):
        uow.session.add(
            InvoiceLine(
                id=ids[index],
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                position=len(existing) + index,
                kind=InvoiceLineKind.PRORATION,
                description=item.description,
                quantity=1,
                unit_amount=item.amount,
                amount=item.amount,
                period_start=item.period_start,
                period_end=item.period_end,
                created_at=now,
            )
        )
        item.invoice_id = invoice.id
    await uow.session.flush()


async def _plan_code(uow: UnitOfWork, invoice: Invoice) -> str | None:
    plan_id = None
    if invoice.subscription_id is not None:
        subscription = await uow.session.get(Subscription, invoice.subscription_id)
        plan_id = None if subscription is None else subscription.plan_id
    else:
        customer = await uow.session.get(Customer, invoice.customer_id)
        plan_id = None if customer is None else customer.plan_id
    plan = None if plan_id is None else await uow.session.get(Plan, plan_id)
    return None if plan is None else plan.code


async def finalize(
    uow: UnitOfWork, invoice_id: uuid.UUID, *, pick_up_pending: bool = True
) -> Invoice:
    """DRAFT → OPEN with the customer's pending items (subscription invoices) and active
    discounts; the discounts that took something off count this invoice (`consume_period`)."""
    invoice = await invoices_repository.invoice_for_update(uow.session, invoice_id, uow.row_scope)
    if invoice is None:
        raise not_found("Invoice", "invoiceId")
    if invoice.status is not InvoiceStatus.DRAFT:  # the service names the refusal
        return await invoices.finalize_invoice(uow, invoice_id)
    if pick_up_pending and invoice.subscription_id is not None:
        items = await repository.uninvoiced_items(
            uow.session, invoice.customer_id, invoice.currency
        )
        if items:
            await add_pending_items(uow, invoice, items)
    now = clock.now()
    plan_code = await _plan_code(uow, invoice)
    active = applicable(
        await coupons.active_discounts(uow.session, invoice.customer_id, now), invoice, plan_code
    )
    drafts = [discount_draft(discount) for discount in active]
    lines = await invoices_repository.lines_of(uow.session, invoice.id)
    amounts = invoices.discount_amounts(sum(line.amount for line in lines), drafts)
    # A discount that takes nothing off (a credit, a used-up amount) neither shows nor counts.
    taking = [
        (d, draft) for d, draft, amount in zip(active, drafts, amounts, strict=True) if amount
    ]
    done = await invoices.finalize_invoice(
        uow, invoice_id, discounts=[draft for _, draft in taking]
    )
    used = [d.discount_id for d, _ in taking]
    if used:
        await coupons.consume_period(uow, used)
    return done
