"""Invoices, their lines and payment attempts; tax rates, billing profiles, the credit ledger
and credit notes.

Amounts are integer minor units in the invoice's (or entry's) currency. An invoice's number is
assigned when it is finalized, from a counter row per year locked in that transaction, so the
numbers of a year run without gaps.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import SQLModel, created_field, enum_column, foreign_key, id_field, time_field


class InvoiceStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAID = "PAID"
    VOID = "VOID"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"


class InvoiceLineKind(enum.StrEnum):
    ITEM = "ITEM"
    SUBSCRIPTION = "SUBSCRIPTION"
    PRORATION = "PRORATION"


class PaymentAttemptStatus(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class CreditKind(enum.StrEnum):
    GRANT = "GRANT"
    APPLIED = "APPLIED"
    EXPIRED = "EXPIRED"
    CREDIT_NOTE = "CREDIT_NOTE"


class CreditNoteReason(enum.StrEnum):
    DUPLICATE = "DUPLICATE"
    FRAUDULENT = "FRAUDULENT"
    ORDER_CHANGE = "ORDER_CHANGE"
    PRODUCT_UNSATISFACTORY = "PRODUCT_UNSATISFACTORY"


class RefundTo(enum.StrEnum):
    CREDIT_BALANCE = "CREDIT_BALANCE"
    ORIGINAL_PAYMENT = "ORIGINAL_PAYMENT"


def _money() -> int:
    return Field(default=0, sa_type=sa.BigInteger)  # type: ignore[no-any-return]


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    PREFIX: ClassVar[str] = "in"  # `in_…`, as the payment providers spell it

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    # Assigned at finalize (`2026-000001`); null on drafts.
    number: str | None = Field(default=None, sa_type=sa.String(32), unique=True)
    status: InvoiceStatus = Field(
        default=InvoiceStatus.DRAFT, sa_type=enum_column(InvoiceStatus), index=True
    )
    currency: str = Field(default="USD", sa_type=sa.String(3))
    subtotal: int = _money()
    discount_total: int = _money()
    tax_total: int = _money()
    total: int = _money()
    credit_applied: int = _money()
    amount_due: int = _money()
    amount_paid: int = _money()
    credited_total: int = _money()  # the sum of its credit notes
    period_start: datetime | None = time_field()
    period_end: datetime | None = time_field()
    # The subscriptions table belongs to another part of billing: a plain id, no foreign key.
    subscription_id: uuid.UUID | None = Field(default=None, index=True)
    # The billing address and tax id as they were when the invoice was finalized.
    billing_name: str | None = Field(default=None, sa_type=sa.String(200))
    billing_line1: str | None = Field(default=None, sa_type=sa.String(200))
    billing_line2: str | None = Field(default=None, sa_type=sa.String(200))
    billing_city: str | None = Field(default=None, sa_type=sa.String(100))
    billing_postal_code: str | None = Field(default=None, sa_type=sa.String(32))
    billing_country: str | None = Field(default=None, sa_type=sa.String(2))
    billing_region: str | None = Field(default=None, sa_type=sa.String(8))
    tax_id: str | None = Field(default=None, sa_type=sa.String(64))
    reverse_charge: bool = Field(default=False)
    stripe_invoice_id: str | None = Field(default=None, sa_type=sa.String(255))
    created_at: datetime = created_field()
    finalized_at: datetime | None = time_field(index=True)
    paid_at: datetime | None = time_field()
    voided_at: datetime | None = time_field()
    marked_uncollectible_at: datetime | None = time_field()


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_lines"
    PREFIX: ClassVar[str] = "inl"

    id: uuid.UUID = id_field()
    invoice_id: uuid.UUID = foreign_key("invoices.id")
    # The row scope without a join; no foreign key: the rows die with their parent already.
    customer_id: uuid.UUID = Field(index=True)
    position: int = Field(default=0)
    kind: InvoiceLineKind = Field(
        default=InvoiceLineKind.ITEM, sa_type=enum_column(InvoiceLineKind)
    )
    description: str = Field(sa_type=sa.String(500))
    quantity: int = Field(default=1)
    unit_amount: int = _money()
    amount: int = _money()  # quantity × unit amount, before discounts and tax
    discount_amount: int = _money()
    tax_rate_id: uuid.UUID | None = Field(default=None)
    tax_amount: int = _money()
    tax_inclusive: bool = Field(default=False)
    jurisdiction: str | None = Field(default=None, sa_type=sa.String(16))  # `DE`, `US-CA`
    period_start: datetime | None = time_field()
    period_end: datetime | None = time_field()
    created_at: datetime = created_field()


class InvoiceDiscount(SQLModel, table=True):
    """A discount applied when the invoice was finalized (what the coupon said then)."""

    __tablename__ = "invoice_discounts"
    PREFIX: ClassVar[str] = "ind"

    id: uuid.UUID = id_field()
    invoice_id: uuid.UUID = foreign_key("invoices.id")
    # The row scope without a join; no foreign key: the rows die with their parent already.
    customer_id: uuid.UUID = Field(index=True)
    coupon_code: str | None = Field(default=None, sa_type=sa.String(64))
    name: str = Field(sa_type=sa.String(200))
    percent_off: str | None = Field(default=None, sa_type=sa.String(16))
    amount_off: int | None = Field(default=None, sa_type=sa.BigInteger)
    amount: int = _money()
    created_at: datetime = created_field()


class InvoiceNumberCounter(SQLModel, table=True):
    """The last number given in a year; its row is locked by the finalizing transaction."""

    __tablename__ = "invoice_number_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = Field(default=0)


class PaymentAttempt(SQLModel, table=True):
    __tablename__ = "payment_attempts"
    PREFIX: ClassVar[str] = "pat"

    id: uuid.UUID = id_field()
    invoice_id: uuid.UUID = foreign_key("invoices.id")
    # The row scope without a join; no foreign key: the rows die with their parent already.
    customer_id: uuid.UUID = Field(index=True)
    attempted_at: datetime = created_field()
    status: PaymentAttemptStatus = Field(sa_type=enum_column(PaymentAttemptStatus))
    amount: int = _money()
    gateway: str = Field(default="local", sa_type=sa.String(32))
    provider_payment_id: str | None = Field(default=None, sa_type=sa.String(255))
    failure_message: str | None = Field(default=None, sa_type=sa.String(500))
    # When the renewal loop should try again (null: no retry planned).
    next_attempt_at: datetime | None = time_field(index=True)


class TaxRate(SQLModel, table=True):
    __tablename__ = "tax_rates"
    PREFIX: ClassVar[str] = "txr"

    id: uuid.UUID = id_field()
    country: str = Field(sa_type=sa.String(2), index=True)
    region: str | None = Field(default=None, sa_type=sa.String(8))
    # Basis points of a percent: 19.25 % is 1925 (exact, no floats).
    basis_points: int = Field()
    inclusive: bool = Field(default=False)
    display_name: str = Field(sa_type=sa.String(100))
    created_at: datetime = created_field()
    archived_at: datetime | None = time_field()


class BillingProfile(SQLModel, table=True):
    __tablename__ = "billing_profiles"
    PREFIX: ClassVar[str] = "bpr"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = Field(
        foreign_key="customers.id", ondelete="CASCADE", unique=True, index=True
    )
    name: str | None = Field(default=None, sa_type=sa.String(200))
    line1: str | None = Field(default=None, sa_type=sa.String(200))
    line2: str | None = Field(default=None, sa_type=sa.String(200))
    city: str | None = Field(default=None, sa_type=sa.String(100))
    postal_code: str | None = Field(default=None, sa_type=sa.String(32))
    country: str | None = Field(default=None, sa_type=sa.String(2))
    region: str | None = Field(default=None, sa_type=sa.String(8))
    tax_id: str | None = Field(default=None, sa_type=sa.String(64))
    tax_exempt: bool = Field(default=False)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class CreditTransaction(SQLModel, table=True):
    """One entry of a customer's credit ledger (positive adds credit, negative uses it).

    Credit is held in lots: a grant is a lot, and every entry that uses credit names the lot it
    draws from and carries that lot's expiry. The balance is the sum of the entries whose lot
    has not expired, so an expired lot's unused rest simply stops counting.
    """

    __tablename__ = "credit_transactions"
    PREFIX: ClassVar[str] = "ctx"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    kind: CreditKind = Field(sa_type=enum_column(CreditKind))
    reason: str = Field(default="", sa_type=sa.String(500))
    lot_id: uuid.UUID | None = Field(default=None, index=True)  # the grant drawn from
    invoice_id: uuid.UUID | None = Field(
        default=None, foreign_key="invoices.id", ondelete="SET NULL"
    )
    credit_note_id: uuid.UUID | None = Field(default=None)
    expires_at: datetime | None = time_field()
    created_at: datetime = created_field()


class CreditNote(SQLModel, table=True):
    __tablename__ = "credit_notes"
    PREFIX: ClassVar[str] = "cnt"

    id: uuid.UUID = id_field()
    invoice_id: uuid.UUID = foreign_key("invoices.id")
    customer_id: uuid.UUID = Field(index=True)  # dies with the invoice, which dies with it
    number: str = Field(sa_type=sa.String(40), unique=True)  # `<invoice number>-CN1`
    reason: CreditNoteReason = Field(sa_type=enum_column(CreditNoteReason, 32))
    memo: str | None = Field(default=None, sa_type=sa.String(1000))
    refund_to: RefundTo = Field(sa_type=enum_column(RefundTo))
    amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    created_at: datetime = created_field()


class CreditNoteLine(SQLModel, table=True):
    __tablename__ = "credit_note_lines"
    PREFIX: ClassVar[str] = "cnl"

    id: uuid.UUID = id_field()
    credit_note_id: uuid.UUID = foreign_key("credit_notes.id")
    # The row scope without a join; no foreign key: the rows die with their parent already.
    customer_id: uuid.UUID = Field(index=True)
    invoice_line_id: uuid.UUID | None = Field(
        default=None, foreign_key="invoice_lines.id", ondelete="SET NULL"
    )
    description: str = Field(sa_type=sa.String(500))
    amount: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = created_field()
