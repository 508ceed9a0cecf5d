"""GraphQL types of invoices, tax rates, billing addresses, the credit ledger and credit notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.billing.credits.repository import CREDIT_TRANSACTION_MODEL
from app.billing.invoices.repository import (
    CREDIT_NOTE_LINE_MODEL,
    CREDIT_NOTE_MODEL,
    INVOICE_DISCOUNT_MODEL,
    INVOICE_LINE_MODEL,
    INVOICE_MODEL,
    PAYMENT_ATTEMPT_MODEL,
)
from app.billing.tax.arithmetic import percentage_of
from app.billing.tax.repository import BILLING_PROFILE_MODEL, TAX_RATE_MODEL
from app.billing.tax.service import jurisdiction_of
from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.kit.money import Money
from app.models.invoices import (
    CreditKind,
    CreditNoteReason,
    InvoiceLineKind,
    InvoiceStatus,
    PaymentAttemptStatus,
    RefundTo,
)

if TYPE_CHECKING:
    from app.graphql.customers.types import Customer

InvoiceStatusEnum = strawberry.enum(InvoiceStatus, name="InvoiceStatus")
InvoiceLineKindEnum = strawberry.enum(InvoiceLineKind, name="InvoiceLineKind")
PaymentAttemptStatusEnum = strawberry.enum(PaymentAttemptStatus, name="PaymentAttemptStatus")
CreditKindEnum = strawberry.enum(CreditKind, name="CreditTransactionKind")
CreditNoteReasonEnum = strawberry.enum(CreditNoteReason, name="CreditNoteReason")
RefundToEnum = strawberry.enum(RefundTo, name="RefundTo")

CustomerRef = Annotated["Customer", strawberry.lazy("app.graphql.customers.types")]


@model_type(TAX_RATE_MODEL, description="A tax rate of a jurisdiction (a country, or a region).")
class TaxRate(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    country: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    region: str | None = strawberry.field(description="ISO 3166-2 subdivision (`CA` of `US-CA`).")
    basis_points: int = strawberry.field(description="Hundredths of a percent: 19.25 % is 1925.")
    inclusive: bool = strawberry.field(description="Prices already include this tax.")
    display_name: str
    created_at: datetime
    archived_at: datetime | None

    @strawberry.field(description="The rate as a decimal percentage (`19.25`).")
    def percentage(self) -> str:
        return percentage_of(self.basis_points)

    @strawberry.field(description="`DE`, or `US-CA` for a regional rate.")
    def jurisdiction(self) -> str:
        return jurisdiction_of(self.country, self.region)


@model_type(BILLING_PROFILE_MODEL, description="A customer's billing address and tax id.")
class BillingAddress(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    name: str | None
    line1: str | None
    line2: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    region: str | None
    tax_id: str | None = strawberry.field(
        description="A VAT or other tax id: its invoices carry no tax (reverse charge)."
    )
    tax_exempt: bool
    updated_at: datetime


@model_type(INVOICE_LINE_MODEL, description="A line of an invoice.")
class InvoiceLine(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    position: int
    kind: InvoiceLineKind
    description: str
    quantity: int
    unit_amount: int = strawberry.field(description="Minor units of the invoice's currency.")
    amount: int = strawberry.field(description="Quantity × unit amount, before discount and tax.")
    discount_amount: int = strawberry.field(description="Its share of the invoice's discounts.")
    tax_amount: int
    tax_inclusive: bool = strawberry.field(description="The tax is part of the amount.")
    jurisdiction: str | None
    period_start: datetime | None
    period_end: datetime | None

    @strawberry.field(description="The tax rate applied at finalize.")
    def tax_rate(self, info: Info) -> TaxRate | None:
        return related(self, info, "taxRate")  # type: ignore[no-any-return]


@model_type(INVOICE_DISCOUNT_MODEL, description="A discount applied to an invoice at finalize.")
class InvoiceDiscount(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    coupon_code: str | None
    name: str
    percent_off: str | None
    amount_off: int | None
    amount: int = strawberry.field(description="What it took off, in minor units.")


@model_type(PAYMENT_ATTEMPT_MODEL, description="One try at charging an invoice.")
class PaymentAttempt(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    attempted_at: datetime
    status: PaymentAttemptStatus
    amount: int
    gateway: str
    provider_payment_id: str | None
    failure_message: str | None
    next_attempt_at: datetime | None = strawberry.field(description="When it is retried.")


@model_type(CREDIT_NOTE_LINE_MODEL, description="A line of a credit note.")
class CreditNoteLine(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    description: str
    amount: int
    invoice_line_id: strawberry.ID | None


@model_type(CREDIT_NOTE_MODEL, description="A credit against an open or paid invoice.")
class CreditNote(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    number: str
    reason: CreditNoteReason
    memo: str | None
    refund_to: RefundTo
    amount: Money
    created_at: datetime

    @strawberry.field
    def invoice(self, info: Info) -> Invoice | None:
        return related(self, info, "invoice")  # type: ignore[no-any-return]

    @strawberry.field
    def lines(self, info: Info) -> list[CreditNoteLine]:
        return related(self, info, "lines")  # type: ignore[no-any-return]


@model_type(
    INVOICE_MODEL,
    description="An invoice: DRAFT → OPEN → PAID, VOID or UNCOLLECTIBLE. Amounts are the "
    "invoice's currency; total = subtotal − discounts + exclusive tax.",
)
class Invoice(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    number: str | None = strawberry.field(
        description="Given at finalize, sequential per year without gaps (`2026-000042`)."
    )
    status: InvoiceStatus
    currency: str
    subtotal: Money
    discount_total: Money
    tax_total: Money = strawberry.field(description="Inclusive and exclusive tax together.")
    total: Money
    credit_applied: Money = strawberry.field(description="Paid from the credit balance.")
    amount_due: Money
    amount_paid: Money = strawberry.field(description="Paid through the payment gateway.")
    credited_total: Money = strawberry.field(description="The sum of its credit notes.")
    period_start: datetime | None
    period_end: datetime | None
    subscription_id: strawberry.ID | None
    billing_name: str | None
    billing_line1: str | None
    billing_line2: str | None
    billing_city: str | None
    billing_postal_code: str | None
    billing_country: str | None
    billing_region: str | None
    tax_id: str | None
    reverse_charge: bool = strawberry.field(
        description="No tax charged: the customer accounts for it (it has a tax id)."
    )
    stripe_invoice_id: str | None
    created_at: datetime
    finalized_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None
    marked_uncollectible_at: datetime | None

    @strawberry.field
    def customer(self, info: Info) -> CustomerRef | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field(description="Its lines, in order.")
    def lines(self, info: Info) -> list[InvoiceLine]:
        return related(self, info, "lines")  # type: ignore[no-any-return]

    @strawberry.field(description="Discounts applied at finalize.")
    def discounts(self, info: Info) -> list[InvoiceDiscount]:
        return related(self, info, "discounts")  # type: ignore[no-any-return]

    @strawberry.field(description="Every payment attempt, oldest first.")
    def attempts(self, info: Info) -> list[PaymentAttempt]:
        return related(self, info, "attempts")  # type: ignore[no-any-return]

    @strawberry.field
    def credit_notes(self, info: Info) -> list[CreditNote]:
        return related(self, info, "creditNotes")  # type: ignore[no-any-return]


@model_type(
    CREDIT_TRANSACTION_MODEL,
    description="An entry of a customer's credit ledger: positive adds credit, negative uses it.",
)
class CreditTransaction(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    amount: int
    currency: str
    kind: CreditKind
    reason: str
    expires_at: datetime | None = strawberry.field(description="When its credit lot expires.")
    created_at: datetime

    @strawberry.field
    def invoice(self, info: Info) -> Invoice | None:
        return related(self, info, "invoice")  # type: ignore[no-any-return]
