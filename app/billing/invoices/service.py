"""Invoices: draft, finalize (number, discounts, tax), pay (credit first, then the gateway),
void, mark uncollectible; credit notes.

    DRAFT ─finalize→ OPEN ─pay→ PAID
                      ├─void→ VOID
                      └─mark uncollectible→ UNCOLLECTIBLE

Any other transition is INVALID_STATE. These functions are what the renewal loop and the
subscriptions call (each takes the unit of work and never commits).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.billing.credits import service as credits
from app.billing.gateway.base import BillingGateway, ChargeRequest
from app.billing.invoices import repository
from app.billing.tax import arithmetic
from app.billing.tax import repository as tax_repository
from app.billing.tax import service as tax
from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode, uuid7
from app.kit.money import display
from app.kit.uow import UnitOfWork
from app.models.customers import Customer
from app.models.invoices import (
    CreditNote,
    CreditNoteLine,
    CreditNoteReason,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceStatus,
    PaymentAttempt,
    PaymentAttemptStatus,
    RefundTo,
)
from app.outbox.mail import queue_mail

MAX_LINES = 100
MAX_DESCRIPTION = 500
MAX_QUANTITY = 1_000_000
MAX_UNIT_AMOUNT = 10**12  # ten billion in a two-decimal currency
MAX_MEMO = 1000


@dataclass(frozen=True, slots=True)
class LineDraft:
    """A line to invoice: `quantity` × `unit_amount` (minor units; negative for a credit such
    as an unused-time proration)."""

    description: str
    unit_amount: int
    quantity: int = 1
    kind: InvoiceLineKind = InvoiceLineKind.ITEM
    period_start: datetime | None = None
    period_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class DiscountDraft:
    """A discount to apply at finalize (the coupons part provides them): exactly one of
    `percent_off` (a decimal string, `"25"` or `"12.5"`) or `amount_off` (minor units of the
    invoice's currency)."""

    name: str
    coupon_code: str | None = None
    percent_off: str | None = None
    amount_off: int | None = None


@dataclass(frozen=True, slots=True)
class CreditNoteLineDraft:
    invoice_line_id: uuid.UUID
    amount: int


def _invoice_id(invoice: Invoice) -> str:
    return encode(Invoice.PREFIX, invoice.id)


def _view(invoice: Invoice) -> dict[str, Any]:
    return {
        "status": invoice.status,
        "number": invoice.number,
        "total": invoice.total,
        "amountDue": invoice.amount_due,
        "amountPaid": invoice.amount_paid,
        "creditApplied": invoice.credit_applied,
        "creditedTotal": invoice.credited_total,
    }


def _record(uow: UnitOfWork, action: str, invoice: Invoice, before: dict[str, Any]) -> None:
    uow.record(
        action,
        "Invoice",
        _invoice_id(invoice),
        before=before,
        after=_view(invoice),
        customer_id=invoice.customer_id,
    )


def _event(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoiceId": _invoice_id(invoice),
        "customerId": encode("cus", invoice.customer_id),
        "number": invoice.number,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": invoice.total,
        "amountDue": invoice.amount_due,
        "amountPaid": invoice.amount_paid,
    }


def _checked_lines(lines: Sequence[LineDraft]) -> None:
    if not lines:
        raise UserInputError("Give at least one line.", ErrorCode.REQUIRED, "items")
    if len(lines) > MAX_LINES:
        raise UserInputError(f"At most {MAX_LINES} lines.", ErrorCode.TOO_LONG, "items")
    problems = []
    for index, line in enumerate(lines):
        where = ["items", str(index)]
        if not line.description.strip():
            problems.append(
                UserInputError("Describe the line.", ErrorCode.REQUIRED, [*where, "description"])
            )
        elif len(line.description.strip()) > MAX_DESCRIPTION:
            problems.append(
                UserInputError(
                    f"At most {MAX_DESCRIPTION} characters.",
                    ErrorCode.TOO_LONG,
                    [*where, "description"],
                )
            )
        if not 1 <= line.quantity <= MAX_QUANTITY:
            problems.append(
                UserInputError(
                    f"A quantity from 1 to {MAX_QUANTITY}.", ErrorCode.INVALID, [*where, "quantity"]
                )
            )
        if abs(line.unit_amount) > MAX_UNIT_AMOUNT:
            problems.append(
                UserInputError("The amount is out of range.", ErrorCode.INVALID, [*where, "amount"])
            )
        if line.kind is InvoiceLineKind.ITEM and line.unit_amount < 0:
            problems.append(
                UserInputError(
                    "An item's amount is not negative.", ErrorCode.INVALID, [*where, "amount"]
                )
            )
    if problems:
        raise UserInputErrors(problems)


def _checked_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise UserInputError("A 3-letter ISO 4217 currency code.", ErrorCode.INVALID, "currency")
    return code


async def draft_invoice(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    lines: Sequence[LineDraft],
    currency: str = "USD",
    subscription_id: uuid.UUID | None = None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
) -> Invoice:
    """A DRAFT invoice holding `lines`; its number, discounts and tax come at finalize."""
    _checked_lines(lines)
    code = _checked_currency(currency)
    customer = await customer_in_scope(uow, customer_id)
    now = clock.now()
    invoice = Invoice(
        customer_id=customer.id,
        currency=code,
        subscription_id=subscription_id,
        period_start=period_start,
        period_end=period_end,
        created_at=now,
    )
    uow.session.add(invoice)
    subtotal = 0
    # Lines are read back in id order: sorted time-ordered ids keep them in the given order.
    ids = sorted(uuid7() for _ in lines)
    for position, draft in enumerate(lines):
        amount = draft.quantity * draft.unit_amount
        subtotal += amount
        uow.session.add(
            InvoiceLine(
                id=ids[position],
                invoice_id=invoice.id,
                customer_id=customer.id,
                position=position,
                kind=draft.kind,
                description=draft.description.strip(),
                quantity=draft.quantity,
                unit_amount=draft.unit_amount,
                amount=amount,
                period_start=draft.period_start,
                period_end=draft.period_end,
                created_at=now,
            )
        )
    invoice.subtotal = invoice.total = invoice.amount_due = subtotal
    await uow.session.flush()
    _record(uow, "invoice.create", invoice, {})
    return invoice


async def _invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    invoice = await repository.invoice_for_update(uow.session, invoice_id, uow.row_scope)
    if invoice is None:
        raise not_found("Invoice", "invoiceId")
    return invoice


def _require(invoice: Invoice, *allowed: InvoiceStatus) -> None:
    if invoice.status not in allowed:
        names = " or ".join(status.value for status in allowed)
        raise UserInputError(
            f"The invoice is {invoice.status.value}; this needs {names}.",
            ErrorCode.INVALID_STATE,
            "invoiceId",
        )


def discount_amounts(base: int, discounts: Sequence[DiscountDraft]) -> list[int]:
    """Each discount's amount, applied in order to what the previous ones left (never below
    zero)."""
    left = max(base, 0)
    amounts = []
    for discount in discounts:
        if (discount.percent_off is None) == (discount.amount_off is None):
            raise ValueError("a discount has exactly one of percent_off or amount_off")
        if discount.percent_off is not None:
            try:
                amount = arithmetic.percent_discount(left, discount.percent_off)
            except InvalidOperation:
                raise ValueError(f"percent_off {discount.percent_off!r} is no number") from None
        else:
            amount = discount.amount_off or 0
        amount = max(0, min(amount, left))
        amounts.append(amount)
        left -= amount
    return amounts


async def finalize_invoice(
    uow: UnitOfWork, invoice_id: uuid.UUID, *, discounts: Sequence[DiscountDraft] = ()
) -> Invoice:
    """DRAFT → OPEN: apply `discounts`, compute each line's tax from the customer's billing
    profile and the active tax rates, snapshot the address, and take the year's next number
    (last, so nothing after it can fail and a failure gives it back by rolling back).

    A zero total is PAID at once; a negative one (a downgrade's credit) is PAID at once and
    its credit goes to the customer's balance."""
    invoice = await _invoice(uow, invoice_id)
    _require(invoice, InvoiceStatus.DRAFT)
    before = _view(invoice)
    lines = await repository.lines_of(uow.session, invoice.id)
    subtotal = sum(line.amount for line in lines)
    amounts = discount_amounts(subtotal, discounts)
    now = clock.now()
    for discount, amount in zip(discounts, amounts, strict=True):
        uow.session.add(
            InvoiceDiscount(
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                coupon_code=discount.coupon_code,
                name=discount.name,
                percent_off=(
                    None if discount.percent_off is None else str(Decimal(discount.percent_off))
                ),
                amount_off=discount.amount_off,
                amount=amount,
                created_at=now,
            )
        )
    discount_total = sum(amounts)
    shares = arithmetic.allocate(discount_total, [line.amount for line in lines])
    profile = await tax_repository.billing_profile(uow.session, invoice.customer_id)
    bases = [line.amount - share for line, share in zip(lines, shares, strict=True)]
    taxes = await tax.tax_for(uow, profile, bases)
    for line, share, line_tax in zip(lines, shares, taxes.lines, strict=True):
        line.discount_amount = share
        line.tax_rate_id = line_tax.tax_rate_id
        line.tax_amount = line_tax.tax_amount
        line.tax_inclusive = line_tax.inclusive
        line.jurisdiction = line_tax.jurisdiction
    invoice.subtotal = subtotal
    invoice.discount_total = discount_total
    invoice.tax_total = taxes.total
    invoice.total = subtotal - discount_total + taxes.exclusive_total
    invoice.amount_due = max(invoice.total, 0)
    invoice.reverse_charge = taxes.reverse_charge
    if profile is not None:
        invoice.billing_name = profile.name
        invoice.billing_line1 = profile.line1
        invoice.billing_line2 = profile.line2
        invoice.billing_city = profile.city
        invoice.billing_postal_code = profile.postal_code
        invoice.billing_country = profile.country
        invoice.billing_region = profile.region
        invoice.tax_id = profile.tax_id
    year = now.year
    number = await repository.next_number(uow.session, uow.dialect, year)
    invoice.number = f"{year}-{number:06d}"
    invoice.status = InvoiceStatus.OPEN
    invoice.finalized_at = now
    await uow.session.flush()
    if invoice.total <= 0:
        if invoice.total < 0:
            await credits.credit_from_note(
                uow,
                customer_id=invoice.customer_id,
                amount=-invoice.total,
                currency=invoice.currency,
                invoice_id=invoice.id,
                credit_note_id=None,
                reason=f"Credit of invoice {invoice.number}",
            )
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
        await uow.session.flush()
    _record(uow, "invoice.finalize", invoice, before)
    uow.publish("invoice.finalized", _event(invoice), customer_id=invoice.customer_id)
    await _mail_finalized(uow, invoice)
    if invoice.status is InvoiceStatus.PAID:
        uow.publish("invoice.paid", _event(invoice), customer_id=invoice.customer_id)
    return invoice


async def _mail_finalized(uow: UnitOfWork, invoice: Invoice) -> None:
    """The invoice mail to the customer's billing address, queued in the finalizing
    transaction (none when the customer has no billing email)."""
    customer = await uow.session.get(Customer, invoice.customer_id)
    if customer is None or not customer.billing_email:
        return
    queue_mail(
        uow,
        "invoice_finalized",
        to=customer.billing_email,
        context={
            "customerName": customer.name,
            "number": invoice.number,
            "total": display(invoice.total, invoice.currency),
            "amountDue": display(invoice.amount_due, invoice.currency),
            "paid": invoice.status is InvoiceStatus.PAID,
        },
        customer_id=customer.id,
    )


async def pay_invoice(
    uow: UnitOfWork,
    invoice_id: uuid.UUID,
    gateway: BillingGateway,
    idempotency_key: str | None,
    *,
    retry_at: datetime | None = None,
) -> Invoice:
    """OPEN → PAID: the credit balance first (through the ledger), then the gateway for the
    rest. A refused charge records a FAILED attempt (with `retry_at` as its next attempt, for
    the renewal loop's schedule) and leaves the invoice OPEN; the function still returns."""
    invoice = await _invoice(uow, invoice_id)
    _require(invoice, InvoiceStatus.OPEN)
    before = _view(invoice)
    await customer_in_scope(uow, invoice.customer_id)  # the ledger's lock
    used = await credits.apply_credit(
        uow,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        wanted=invoice.amount_due,
        invoice_id=invoice.id,
        reason=f"Applied to invoice {invoice.number}",
    )
    invoice.credit_applied += used
    invoice.amount_due -= used
    now = clock.now()
    if invoice.amount_due > 0:
        attempt_number = await repository.attempts_count(uow.session, invoice.id) + 1
        key = idempotency_key or f"{invoice.id}:attempt-{attempt_number}"
        result = await gateway.charge(
            ChargeRequest(
                invoice_id=invoice.id,
                number=invoice.number,
                customer_id=invoice.customer_id,
                amount=invoice.amount_due,
                currency=invoice.currency,
                description=f"Invoice {invoice.number}",
            ),
            idempotency_key=key,
        )
        uow.session.add(
            PaymentAttempt(
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                attempted_at=now,
                status=(
                    PaymentAttemptStatus.SUCCEEDED
                    if result.succeeded
                    else PaymentAttemptStatus.FAILED
                ),
                amount=invoice.amount_due,
                gateway=gateway.name,
                provider_payment_id=result.provider_payment_id,
                failure_message=None if result.succeeded else (result.failure_message or "")[:500],
                next_attempt_at=None if result.succeeded else retry_at,
            )
        )
        if not result.succeeded:
            await uow.session.flush()
            _record(uow, "invoice.payment_failed", invoice, before)
            uow.publish("invoice.payment_failed", _event(invoice), customer_id=invoice.customer_id)
            return invoice
        invoice.amount_paid += invoice.amount_due
        invoice.amount_due = 0
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    await uow.session.flush()
    _record(uow, "invoice.pay", invoice, before)
    uow.publish("invoice.paid", _event(invoice), customer_id=invoice.customer_id)
    return invoice


async def void_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    """OPEN → VOID; credit it had used goes back to the balance."""
    invoice = await _invoice(uow, invoice_id)
    _require(invoice, InvoiceStatus.OPEN)
    before = _view(invoice)
    if invoice.credit_applied:
        await credits.credit_from_note(
            uow,
            customer_id=invoice.customer_id,
            amount=invoice.credit_applied,
            currency=invoice.currency,
            invoice_id=invoice.id,
            credit_note_id=None,
            reason=f"Credit returned from voided invoice {invoice.number}",
        )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = clock.now()
    invoice.amount_due = 0
    await uow.session.flush()
    _record(uow, "invoice.void", invoice, before)
    uow.publish("invoice.voided", _event(invoice), customer_id=invoice.customer_id)
    return invoice


async def mark_uncollectible(uow: UnitOfWork, invoice_id: uuid.UUID) -> Invoice:
    invoice = await _invoice(uow, invoice_id)
    _require(invoice, InvoiceStatus.OPEN)
    before = _view(invoice)
    invoice.status = InvoiceStatus.UNCOLLECTIBLE
    invoice.marked_uncollectible_at = clock.now()
    await uow.session.flush()
    _record(uow, "invoice.mark_uncollectible", invoice, before)
    uow.publish("invoice.marked_uncollectible", _event(invoice), customer_id=invoice.customer_id)
    return invoice


# ---------------------------------------------------------------- credit notes


async def create_credit_note(
    uow: UnitOfWork,
    *,
    invoice_id: uuid.UUID,
    amount: int | None,
    lines: Sequence[CreditNoteLineDraft] | None,
    reason: CreditNoteReason,
    memo: str | None,
    refund_to: RefundTo,
) -> CreditNote:
    """A credit note on an OPEN or PAID invoice, for `amount` or for `lines` (exactly one),
    never above what remains (its total less earlier credit notes).

    On an OPEN invoice it first lowers the amount due; what it credits beyond that (the invoice
    was paid in part, by credit or the gateway) goes where `refund_to` says: the credit balance,
    or back to the original payment (recorded here; the gateway refunds it)."""
    if (amount is None) == (lines is None):
        raise UserInputError("Give either `amount` or `lines`.", ErrorCode.INVALID, "amount")
    text = (memo or "").strip() or None
    if text is not None and len(text) > MAX_MEMO:
        raise UserInputError(f"At most {MAX_MEMO} characters.", ErrorCode.TOO_LONG, "memo")
    invoice = await _invoice(uow, invoice_id)
    _require(invoice, InvoiceStatus.OPEN, InvoiceStatus.PAID)
    before = _view(invoice)
    now = clock.now()
    note_lines: list[tuple[uuid.UUID | None, str, int]] = []
    if lines is not None:
        if not lines:
            raise UserInputError("Give at least one line.", ErrorCode.REQUIRED, "lines")
        by_id = {line.id: line for line in await repository.lines_of(uow.session, invoice.id)}
        for index, draft in enumerate(lines):
            line = by_id.get(draft.invoice_line_id)
            if line is None:
                raise not_found("Invoice line", ["lines", str(index), "invoiceLineId"])
            gross = (
                line.amount - line.discount_amount + (0 if line.tax_inclusive else line.tax_amount)
            )
            if draft.amount <= 0:
                raise UserInputError(
                    "A positive amount.", ErrorCode.INVALID, ["lines", str(index), "amount"]
                )
            if draft.amount > gross:
                raise UserInputError(
                    f"At most {gross} for this line.",
                    ErrorCode.AMOUNT_TOO_LARGE,
                    ["lines", str(index), "amount"],
                )
            note_lines.append((line.id, line.description, draft.amount))
        total = sum(part for _, _, part in note_lines)
    else:
        assert amount is not None
        if amount <= 0:
            raise UserInputError("A positive amount.", ErrorCode.INVALID, "amount")
        total = amount
        note_lines.append((None, f"Credit on invoice {invoice.number}", amount))
    remaining = invoice.total - invoice.credited_total
    if total > remaining:
        raise UserInputError(
            f"At most {remaining} remains to credit on this invoice.",
            ErrorCode.AMOUNT_TOO_LARGE,
            "amount" if lines is None else "lines",
        )
    count = await repository.credit_notes_count(uow.session, invoice.id)
    note = CreditNote(
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        number=f"{invoice.number}-CN{count + 1}",
        reason=reason,
        memo=text,
        refund_to=refund_to,
        amount=total,
        currency=invoice.currency,
        created_at=now,
    )
    uow.session.add(note)
    ids = sorted(uuid7() for _ in note_lines)  # read back in id order: the given order
    for index, (line_id, description, part) in enumerate(note_lines):
        uow.session.add(
            CreditNoteLine(
                id=ids[index],
                credit_note_id=note.id,
                customer_id=invoice.customer_id,
                invoice_line_id=line_id,
                description=description,
                amount=part,
                created_at=now,
            )
        )
    invoice.credited_total += total
    beyond_due = total
    if invoice.status is InvoiceStatus.OPEN:
        lowered = min(total, invoice.amount_due)
        invoice.amount_due -= lowered
        beyond_due -= lowered
        if invoice.amount_due == 0:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = now
    await uow.session.flush()
    if beyond_due and refund_to is RefundTo.CREDIT_BALANCE:
        await credits.credit_from_note(
            uow,
            customer_id=invoice.customer_id,
            amount=beyond_due,
            currency=invoice.currency,
            invoice_id=invoice.id,
            credit_note_id=note.id,
            reason=f"Credit note {note.number}",
        )
    uow.record(
        "credit_note.create",
        "CreditNote",
        encode(CreditNote.PREFIX, note.id),
        after={
            "number": note.number,
            "invoice": _invoice_id(invoice),
            "amount": total,
            "reason": reason,
            "refundTo": refund_to,
            "memo": text,
        },
        customer_id=invoice.customer_id,
    )
    _record(uow, "invoice.credit", invoice, before)
    uow.publish(
        "credit_note.created",
        {
            "creditNoteId": encode(CreditNote.PREFIX, note.id),
            "number": note.number,
            "invoiceId": _invoice_id(invoice),
            "amount": total,
            "currency": note.currency,
            "refundTo": refund_to,
        },
        customer_id=invoice.customer_id,
    )
    return note
