"""SQL for invoices, their lines, discounts, payment attempts and credit notes; numbering."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import (
    Composite,
    PublicId,
    ReadModel,
    RelationKind,
    many,
    one,
    registry,
    row_filter,
    scoped_by,
)
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.invoices import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    PaymentAttempt,
)
from app.models.tables import (
    CREDIT_NOTE_LINES,
    CREDIT_NOTES,
    CUSTOMERS,
    INVOICE_DISCOUNTS,
    INVOICE_LINES,
    INVOICE_NUMBER_COUNTERS,
    INVOICES,
    PAYMENT_ATTEMPTS,
)


def _money(column: str) -> Composite:
    return Composite({"amount": column, "currency": "currency"})


INVOICE_MODEL = registry.register(
    ReadModel(
        name="Invoice",
        table=INVOICES,
        prefix=Invoice.PREFIX,
        fields={
            "number": "number",
            "status": "status",
            "currency": "currency",
            "subtotal": _money("subtotal"),
            "discountTotal": _money("discount_total"),
            "taxTotal": _money("tax_total"),
            "total": _money("total"),
            "creditApplied": _money("credit_applied"),
            "amountDue": _money("amount_due"),
            "amountPaid": _money("amount_paid"),
            "creditedTotal": _money("credited_total"),
            "periodStart": "period_start",
            "periodEnd": "period_end",
            "subscriptionId": PublicId("sub", "subscription_id"),
            "billingName": "billing_name",
            "billingLine1": "billing_line1",
            "billingLine2": "billing_line2",
            "billingCity": "billing_city",
            "billingPostalCode": "billing_postal_code",
            "billingCountry": "billing_country",
            "billingRegion": "billing_region",
            "taxId": "tax_id",
            "reverseCharge": "reverse_charge",
            "stripeInvoiceId": "stripe_invoice_id",
            "createdAt": "created_at",
            "finalizedAt": "finalized_at",
            "paidAt": "paid_at",
            "voidedAt": "voided_at",
            "markedUncollectibleAt": "marked_uncollectible_at",
        },
        scope=scoped_by(INVOICES.c.customer_id),
        relations=(
            one("customer", "Customer", "customer_id"),
            many("lines", "InvoiceLine", "invoice_id", RelationKind.LIST),
            many("discounts", "InvoiceDiscount", "invoice_id", RelationKind.LIST),
            many("attempts", "PaymentAttempt", "invoice_id", RelationKind.LIST),
            many("creditNotes", "CreditNote", "invoice_id", RelationKind.LIST),
        ),
        filters={
            "customer_id": row_filter(lambda customer_id: INVOICES.c.customer_id == customer_id),
            "status": row_filter(lambda status: INVOICES.c.status == status),
            "from": row_filter(
                lambda moment: INVOICES.c.created_at >= sa.literal(moment, UTCDateTime())
            ),
            "to": row_filter(
                lambda moment: INVOICES.c.created_at < sa.literal(moment, UTCDateTime())
            ),
        },
        orderings={"CREATED_AT": INVOICES.c.created_at},
        master_only=frozenset({"stripeInvoiceId"}),
    )
)

INVOICE_LINE_MODEL = registry.register(
    ReadModel(
        name="InvoiceLine",
        table=INVOICE_LINES,
        prefix=InvoiceLine.PREFIX,
        fields={
            "position": "position",
            "kind": "kind",
            "description": "description",
            "quantity": "quantity",
            "unitAmount": "unit_amount",
            "amount": "amount",
            "discountAmount": "discount_amount",
            "taxAmount": "tax_amount",
            "taxInclusive": "tax_inclusive",
            "jurisdiction": "jurisdiction",
            "periodStart": "period_start",
            "periodEnd": "period_end",
        },
        scope=scoped_by(INVOICE_LINES.c.customer_id),
        relations=(one("taxRate", "TaxRate", "tax_rate_id"),),
        orderings={"CREATED_AT": INVOICE_LINES.c.created_at},
    )
)

INVOICE_DISCOUNT_MODEL = registry.register(
    ReadModel(
        name="InvoiceDiscount",
        table=INVOICE_DISCOUNTS,
        prefix=InvoiceDiscount.PREFIX,
        fields={
            "couponCode": "coupon_code",
            "name": "name",
            "percentOff": "percent_off",
            "amountOff": "amount_off",
            "amount": "amount",
        },
        scope=scoped_by(INVOICE_DISCOUNTS.c.customer_id),
        orderings={"CREATED_AT": INVOICE_DISCOUNTS.c.created_at},
    )
)

PAYMENT_ATTEMPT_MODEL = registry.register(
    ReadModel(
        name="PaymentAttempt",
        table=PAYMENT_ATTEMPTS,
        prefix=PaymentAttempt.PREFIX,
        fields={
            "attemptedAt": "attempted_at",
            "status": "status",
            "amount": "amount",
            "gateway": "gateway",
            "providerPaymentId": "provider_payment_id",
            "failureMessage": "failure_message",
            "nextAttemptAt": "next_attempt_at",
        },
        scope=scoped_by(PAYMENT_ATTEMPTS.c.customer_id),
        orderings={"CREATED_AT": PAYMENT_ATTEMPTS.c.attempted_at},
    )
)

CREDIT_NOTE_MODEL = registry.register(
    ReadModel(
        name="CreditNote",
        table=CREDIT_NOTES,
        prefix=CreditNote.PREFIX,
        fields={
            "number": "number",
            "reason": "reason",
            "memo": "memo",
            "refundTo": "refund_to",
            "amount": Composite({"amount": "amount", "currency": "currency"}),
            "createdAt": "created_at",
        },
        scope=scoped_by(CREDIT_NOTES.c.customer_id),
        relations=(
            one("invoice", "Invoice", "invoice_id"),
            many("lines", "CreditNoteLine", "credit_note_id", RelationKind.LIST),
        ),
        filters={
            "customer_id": row_filter(
                lambda customer_id: CREDIT_NOTES.c.customer_id == customer_id
            ),
        },
        orderings={"CREATED_AT": CREDIT_NOTES.c.created_at},
    )
)

CREDIT_NOTE_LINE_MODEL = registry.register(
    ReadModel(
        name="CreditNoteLine",
        table=CREDIT_NOTE_LINES,
        prefix=CreditNoteLine.PREFIX,
        fields={
            "description": "description",
            "amount": "amount",
            "invoiceLineId": PublicId(InvoiceLine.PREFIX, "invoice_line_id"),
        },
        scope=scoped_by(CREDIT_NOTE_LINES.c.customer_id),
        orderings={"CREATED_AT": CREDIT_NOTE_LINES.c.created_at},
    )
)


async def invoice_for_update(
    session: AsyncSession, invoice_id: uuid.UUID, scope: RowScope
) -> Invoice | None:
    statement = (
        sa.select(Invoice)
        .where(INVOICES.c.id == invoice_id, *INVOICE_MODEL.conditions(scope))
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def invoice_in_scope(
    session: AsyncSession, invoice_id: uuid.UUID, scope: RowScope
) -> Invoice | None:
    statement = sa.select(Invoice).where(
        INVOICES.c.id == invoice_id, *INVOICE_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def lines_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[InvoiceLine]:
    statement = (
        sa.select(InvoiceLine)
        .where(INVOICE_LINES.c.invoice_id == invoice_id)
        .order_by(INVOICE_LINES.c.position, INVOICE_LINES.c.id)
    )
    return list((await session.execute(statement)).scalars())


async def discounts_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[InvoiceDiscount]:
    statement = (
        sa.select(InvoiceDiscount)
        .where(INVOICE_DISCOUNTS.c.invoice_id == invoice_id)
        .order_by(INVOICE_DISCOUNTS.c.id)
    )
    return list((await session.execute(statement)).scalars())


async def attempts_count(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    statement = sa.select(sa.func.count()).where(PAYMENT_ATTEMPTS.c.invoice_id == invoice_id)
    return int(await session.scalar(statement) or 0)


async def credit_notes_count(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    statement = sa.select(sa.func.count()).where(CREDIT_NOTES.c.invoice_id == invoice_id)
    return int(await session.scalar(statement) or 0)


async def next_number(session: AsyncSession, dialect: str, year: int) -> int:
    """The year's next invoice number. The counter row stays locked (PostgreSQL: the row lock
    of the UPDATE; SQLite: the database write lock) until the finalizing transaction ends, so
    concurrent finalizers queue, and a rolled-back finalize gives its number back."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(INVOICE_NUMBER_COUNTERS)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    counter = INVOICE_NUMBER_COUNTERS.c
    statement = (
        sa.update(INVOICE_NUMBER_COUNTERS)
        .where(counter.year == year)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
    )
    number: int = (await session.execute(statement)).scalar_one()
    return number


def open_invoices_condition() -> sa.ColumnElement[bool]:
    return INVOICES.c.status == "OPEN"


def lifetime_value_of(customer_id: sa.ColumnElement[object]) -> sa.ColumnElement[int]:
    """Paid invoices minus their credit notes, as a correlated subquery."""
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(INVOICES.c.total - INVOICES.c.credited_total), 0))
        .where(INVOICES.c.customer_id == customer_id, INVOICES.c.status == "PAID")
        .scalar_subquery()
    )
    return sa.cast(total, sa.BigInteger)


async def invoice_document(
    session: AsyncSession, invoice_id: uuid.UUID, scope: RowScope
) -> tuple[Invoice, list[InvoiceLine], list[InvoiceDiscount], str] | None:
    """What the PDF shows of a finalized invoice in the caller's scope (None otherwise)."""
    invoice = await invoice_in_scope(session, invoice_id, scope)
    if invoice is None or invoice.finalized_at is None:
        return None
    name = await session.scalar(
        sa.select(CUSTOMERS.c.name).where(CUSTOMERS.c.id == invoice.customer_id)
    )
    return (
        invoice,
        await lines_of(session, invoice.id),
        await discounts_of(session, invoice.id),
        str(name or ""),
    )
