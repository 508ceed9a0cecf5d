"""The credit ledger: grants, credit used by invoices, credit from credit notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from app.billing.credits import repository
from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.money import Money
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.invoices import CreditKind, CreditTransaction

MAX_REASON = 500


def _lot(entry: CreditTransaction) -> CreditTransaction:
    entry.lot_id = entry.id  # a lot is named after the entry that opened it
    return entry


async def _check_currency(uow: UnitOfWork, customer_id: uuid.UUID, currency: str) -> None:
    held = await repository.ledger_currency(uow.session, customer_id)
    if held is not None and held != currency:
        raise UserInputError(
            f"This customer's credit is held in {held}.", ErrorCode.CURRENCY_MISMATCH, "amount"
        )


async def grant_credit(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    amount: Money,
    reason: str,
    expires_at: datetime | None = None,
) -> CreditTransaction:
    text = checked_text(reason, "reason", MAX_REASON)
    if amount.amount <= 0:
        raise UserInputError("Grant a positive amount.", ErrorCode.INVALID, "amount")
    if expires_at is not None and expires_at <= clock.now():
        raise UserInputError("The expiry must lie in the future.", ErrorCode.INVALID, "expiresAt")
    customer = await customer_in_scope(uow, customer_id)
    await _check_currency(uow, customer.id, amount.currency)
    entry = CreditTransaction(
        customer_id=customer.id,
        amount=amount.amount,
        currency=amount.currency,
        kind=CreditKind.GRANT,
        reason=text,
        expires_at=expires_at,
        created_at=clock.now(),
    )
    uow.session.add(_lot(entry))
    await uow.session.flush()
    uow.record(
        "customer.credit.grant",
        "CreditTransaction",
        encode(CreditTransaction.PREFIX, entry.id),
        after={
            "amount": entry.amount,
            "currency": entry.currency,
            "reason": text,
            "expiresAt": expires_at,
        },
        customer_id=customer.id,
    )
    return entry


async def apply_credit(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    currency: str,
    wanted: int,
    invoice_id: uuid.UUID,
    reason: str,
) -> int:
    """Use up to `wanted` of the customer's credit for an invoice, soonest-expiring lots first;
    returns how much was used. The caller holds the customer's row lock (`customer_in_scope`),
    so two payments cannot spend the same credit."""
    used = 0
    for lot_id, left, expires_at in await repository.open_lots(uow.session, customer_id, currency):
        if used >= wanted:
            break
        take = min(left, wanted - used)
        uow.session.add(
            CreditTransaction(
                customer_id=customer_id,
                amount=-take,
                currency=currency,
                kind=CreditKind.APPLIED,
                reason=reason,
                lot_id=lot_id,
                invoice_id=invoice_id,
                expires_at=expires_at,
                created_at=clock.now(),
            )
        )
        used += take
    if used:
        await uow.session.flush()
    return used


async def credit_from_note(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    amount: int,
    currency: str,
    invoice_id: uuid.UUID,
    credit_note_id: uuid.UUID | None,
    reason: str,
) -> CreditTransaction:
    await _check_currency(uow, customer_id, currency)
    entry = CreditTransaction(
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        kind=CreditKind.CREDIT_NOTE,
        reason=reason,
        invoice_id=invoice_id,
        credit_note_id=credit_note_id,
        created_at=clock.now(),
    )
    uow.session.add(_lot(entry))
    await uow.session.flush()
    return entry
