"""Helpers of the invoice, tax and credit tests: mutations, rows written through the services."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.billing.invoices import service
from app.db import Database
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Customer
from app.models.invoices import BillingProfile, Invoice, TaxRate
from app.models.tables import (
    AUDIT_EVENTS,
    CREDIT_NOTES,
    CREDIT_TRANSACTIONS,
    IDEMPOTENCY_RECORDS,
    INVOICE_LINES,
    INVOICES,
    OUTBOX_EVENTS,
    PAYMENT_ATTEMPTS,
    TAX_RATES,
)
from tests.helpers import Mutation
from tests.support import rows

MONEY = "amount currency"
INVOICE = """invoice {
  id number status currency reverseCharge
  subtotal discountTotal taxTotal total
  creditApplied amountDue amountPaid
  lines { id description quantity unitAmount amount taxAmount jurisdiction kind }
  attempts { status amount gateway }
  customer { slug }
}"""
INVOICE_CREATE = Mutation("invoiceCreate", INVOICE)
INVOICE_FINALIZE = Mutation("invoiceFinalize", INVOICE)
INVOICE_PAY = Mutation("invoicePay", INVOICE)
INVOICE_VOID = Mutation("invoiceVoid", INVOICE)
INVOICE_MARK_UNCOLLECTIBLE = Mutation("invoiceMarkUncollectible", INVOICE)
TAX_RATE = "taxRate { id country region percentage basisPoints inclusive displayName jurisdiction archivedAt }"
TAX_RATE_CREATE = Mutation("taxRateCreate", TAX_RATE)
TAX_RATE_ARCHIVE = Mutation("taxRateArchive", TAX_RATE)
PROFILE_UPDATE = Mutation(
    "customerBillingProfileUpdate",
    "billingAddress { name line1 city postalCode country region taxId taxExempt } "
    "customer { taxId }",
)
CREDIT_GRANT = Mutation(
    "customerCreditGrant",
    "creditTransaction { amount currency kind reason expiresAt } customer { creditBalance }",
)
CREDIT_NOTE_CREATE = Mutation(
    "creditNoteCreate",
    "creditNote { number reason memo refundTo amount lines { amount description } } "
    "invoice { status amountDue creditedTotal }",
)

TABLES = {
    "invoices": INVOICES,
    "invoice_lines": INVOICE_LINES,
    "payment_attempts": PAYMENT_ATTEMPTS,
    "tax_rates": TAX_RATES,
    "credit_transactions": CREDIT_TRANSACTIONS,
    "credit_notes": CREDIT_NOTES,
    "idempotency_records": IDEMPOTENCY_RECORDS,
    "outbox_events": OUTBOX_EVENTS,
}


async def counts(db: Database) -> dict[str, int]:
    found = {}
    for name, table in TABLES.items():
        statement = sa.select(sa.func.count()).select_from(table)
        found[name] = int((await rows(db, statement))[0][0])
    audited = sa.select(sa.func.count()).where(AUDIT_EVENTS.c.action != "impersonation.request")
    found["audit_events"] = int((await rows(db, audited))[0][0])
    return found


async def events(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)


async def outbox(db: Database, event_type: str) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(OUTBOX_EVENTS).where(OUTBOX_EVENTS.c.event_type == event_type))


async def run(db: Database, work: Any) -> Any:
    return await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)


async def draft(
    db: Database,
    customer: Customer,
    amounts: Sequence[int] = (10_000,),
    *,
    currency: str = "USD",
) -> Invoice:
    async def work(uow: UnitOfWork) -> Invoice:
        return await service.draft_invoice(
            uow,
            customer_id=customer.id,
            currency=currency,
            lines=[service.LineDraft(f"Item {n}", unit_amount=a) for n, a in enumerate(amounts)],
        )

    invoice: Invoice = await run(db, work)
    return invoice


async def finalized(
    db: Database,
    customer: Customer,
    amounts: Sequence[int] = (10_000,),
    discounts: Sequence[service.DiscountDraft] = (),
) -> Invoice:
    invoice = await draft(db, customer, amounts)

    async def work(uow: UnitOfWork) -> Invoice:
        return await service.finalize_invoice(uow, invoice.id, discounts=discounts)

    done: Invoice = await run(db, work)
    return done


async def add(db: Database, *new: Any) -> None:
    async with db.write_session() as session:
        session.add_all(new)
        await session.commit()


async def tax_rate(
    db: Database,
    country: str,
    basis_points: int,
    *,
    region: str | None = None,
    inclusive: bool = False,
) -> TaxRate:
    rate = TaxRate(
        country=country,
        region=region,
        basis_points=basis_points,
        inclusive=inclusive,
        display_name=f"Tax {country}",
    )
    await add(db, rate)
    return rate


async def profile(db: Database, customer: Customer, **fields: Any) -> BillingProfile:
    row = BillingProfile(customer_id=customer.id, **fields)
    await add(db, row)
    return row


async def invoice_row(db: Database, invoice_id: uuid.UUID) -> Invoice:
    async with db.write_session() as session:
        found = await session.get(Invoice, invoice_id)
        assert found is not None
        return found
