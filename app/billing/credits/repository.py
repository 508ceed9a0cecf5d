"""SQL for the credit ledger: entries, lots and balances.

Credit is held in lots (a grant, or a credit note's refund to the balance); an entry using
credit names its lot and carries the lot's expiry. A balance is the sum of the entries whose lot
has not expired: the ledger sum, with expired lots' rests left out.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import ReadModel, one, registry, row_filter, scoped_by
from app.models.base import UTCDateTime
from app.models.invoices import CreditTransaction
from app.models.tables import CREDIT_TRANSACTIONS

CREDIT_TRANSACTION_MODEL = registry.register(
    ReadModel(
        name="CreditTransaction",
        table=CREDIT_TRANSACTIONS,
        prefix=CreditTransaction.PREFIX,
        fields={
            "amount": "amount",
            "currency": "currency",
            "kind": "kind",
            "reason": "reason",
            "expiresAt": "expires_at",
            "createdAt": "created_at",
        },
        scope=scoped_by(CREDIT_TRANSACTIONS.c.customer_id),
        relations=(one("invoice", "Invoice", "invoice_id"),),
        filters={
            "customer_id": row_filter(
                lambda customer_id: CREDIT_TRANSACTIONS.c.customer_id == customer_id
            ),
        },
        orderings={"CREATED_AT": CREDIT_TRANSACTIONS.c.created_at},
    )
)


def unexpired(at: datetime | None = None) -> sa.ColumnElement[bool]:
    moment = sa.literal(at or clock.now(), UTCDateTime())
    column = CREDIT_TRANSACTIONS.c.expires_at
    return sa.or_(column.is_(None), column > moment)


def balance_of(customer_id: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """The balance of the customer whose id is `customer_id`, as a correlated subquery."""
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(CREDIT_TRANSACTIONS.c.amount), 0))
        .where(CREDIT_TRANSACTIONS.c.customer_id == customer_id, unexpired())
        .scalar_subquery()
    )
    return sa.cast(total, sa.BigInteger)


def currency_of(customer_id: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """The ledger's currency (its first entry's), USD for an empty ledger."""
    first = (
        sa.select(CREDIT_TRANSACTIONS.c.currency)
        .where(CREDIT_TRANSACTIONS.c.customer_id == customer_id)
        .order_by(CREDIT_TRANSACTIONS.c.created_at, CREDIT_TRANSACTIONS.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(first, "USD")


async def ledger_currency(session: AsyncSession, customer_id: uuid.UUID) -> str | None:
    statement = (
        sa.select(CREDIT_TRANSACTIONS.c.currency)
        .where(CREDIT_TRANSACTIONS.c.customer_id == customer_id)
        .order_by(CREDIT_TRANSACTIONS.c.created_at, CREDIT_TRANSACTIONS.c.id)
        .limit(1)
    )
    found: str | None = await session.scalar(statement)
    return found


async def balance(session: AsyncSession, customer_id: uuid.UUID) -> int:
    statement = sa.select(sa.func.coalesce(sa.func.sum(CREDIT_TRANSACTIONS.c.amount), 0)).where(
        CREDIT_TRANSACTIONS.c.customer_id == customer_id, unexpired()
    )
    return int(await session.scalar(statement) or 0)


async def open_lots(
    session: AsyncSession, customer_id: uuid.UUID, currency: str
) -> list[tuple[uuid.UUID, int, datetime | None]]:
    """(lot, what is left, its expiry) of every unexpired lot with credit left, the soonest
    expiring first (lots without expiry last), then the oldest."""
    lot = CREDIT_TRANSACTIONS.c.lot_id
    expires = sa.func.max(CREDIT_TRANSACTIONS.c.expires_at)
    left = sa.func.sum(CREDIT_TRANSACTIONS.c.amount)
    statement = (
        sa.select(lot, left.label("left"), expires.label("expires_at"))
        .where(
            CREDIT_TRANSACTIONS.c.customer_id == customer_id,
            CREDIT_TRANSACTIONS.c.currency == currency,
            unexpired(),
        )
        .group_by(lot)
        .having(left > 0)
        .order_by(sa.func.max(CREDIT_TRANSACTIONS.c.expires_at).is_(None), expires, lot)
    )
    rows = (await session.execute(statement)).all()
    return [(row.lot_id, int(row.left), row.expires_at) for row in rows]
