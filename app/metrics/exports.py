"""The CSV exports (revenue, customers, tax, audit) as streamed SQL, and their signed links
(those kinds' and the usage export's, `app/rest/usage.py`).

A signed link names the kind and the range and expires 5 minutes after it was made; its
signature is an HMAC-SHA256 with a key derived from the application's secret, so a link cannot
be stretched to another range, another kind, or a later time. A session admin's usage link
names the user too (signed with the rest), and the download is scoped to the customers that
user administers when it is fetched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import snapshot_connection
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.metrics.periods import DateRange
from app.metrics.sql import (
    CUSTOMERS,
    INVOICES,
    PAID,
    PLANS,
    SUBSCRIPTIONS,
    net_revenue,
    subscription_mrr,
)
from app.models.audit import AuditEvent
from app.models.invoices import InvoiceLine

LINK_SECONDS = 300
KINDS = ("revenue", "customers", "tax", "audit")
AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
LINES = InvoiceLine.__table__  # type: ignore[attr-defined]


def _in(column: Any, period: DateRange) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.start_at, column < period.end_before)


def statement(kind: str, period: DateRange, currency: str) -> tuple[list[str], sa.Select[Any]]:
    """The header and the select of one export."""
    if kind == "revenue":
        inv, c = INVOICES.c, CUSTOMERS.c
        return (
            [
                "invoice_number",
                "customer_slug",
                "customer_name",
                "paid_at",
                "currency",
                "subtotal",
                "discount",
                "tax",
                "total",
                "net_revenue",
                "credited",
            ],
            sa.select(
                inv.number,
                c.slug,
                c.name,
                inv.paid_at,
                inv.currency,
                inv.subtotal,
                inv.discount_total,
                inv.tax_total,
                inv.total,
                net_revenue(),
                inv.credited_total,
            )
            .select_from(INVOICES.join(CUSTOMERS, c.id == inv.customer_id))
            .where(inv.status.in_(PAID), _in(inv.paid_at, period))
            .order_by(inv.paid_at, inv.id),
        )
    if kind == "customers":
        c, p, inv, sub = CUSTOMERS.c, PLANS.c, INVOICES.c, SUBSCRIPTIONS.c
        revenue = (
            sa.select(sa.func.coalesce(sa.func.sum(net_revenue()), 0))
            .where(
                inv.customer_id == c.id,
                inv.status.in_(PAID),
                _in(inv.paid_at, period),
                inv.currency == currency,
            )
            .scalar_subquery()
        )
        mrr = (
            sa.select(sa.func.coalesce(sa.func.sum(subscription_mrr()), 0))
            .where(sub.customer_id == c.id, sub.currency == currency)
            .scalar_subquery()
        )
        return (
            [
                "slug",
                "name",
                "status",
                "plan",
                "billing_email",
                "created_at",
                f"revenue_{currency.lower()}",
                f"mrr_{currency.lower()}",
            ],
            sa.select(c.slug, c.name, c.status, p.code, c.billing_email, c.created_at, revenue, mrr)
            .select_from(CUSTOMERS.outerjoin(PLANS, p.id == c.plan_id))
            .where(c.created_at < period.end_before)
            .order_by(c.created_at, c.id),
        )
    if kind == "tax":
        inv, line = INVOICES.c, LINES.c
        # A literal, not a bound value: PostgreSQL must see the same expression in GROUP BY.
        where = sa.func.coalesce(line.jurisdiction, sa.literal_column("''"))
        return (
            ["jurisdiction", "currency", "invoices", "lines", "taxable_amount", "tax_collected"],
            sa.select(
                where,
                inv.currency,
                sa.func.count(sa.distinct(inv.id)),
                sa.func.count(),
                sa.func.sum(line.amount - line.discount_amount),
                sa.func.sum(line.tax_amount),
            )
            .select_from(LINES.join(INVOICES, inv.id == line.invoice_id))
            .where(
                inv.finalized_at.is_not(None),
                inv.status != "VOID",
                _in(inv.finalized_at, period),
            )
            .group_by(where, inv.currency)
            .order_by(where, inv.currency),
        )
    if kind == "audit":
        a = AUDIT.c
        return (
            [
                "seq",
                "created_at",
                "actor_type",
                "actor_id",
                "impersonator_id",
                "action",
                "target_type",
                "target_id",
                "request_id",
                "diff",
                "hash",
            ],
            sa.select(
                a.seq,
                a.created_at,
                a.actor_type,
                a.actor_id,
                a.impersonator_id,
                a.action,
                a.target_type,
                a.target_id,
                a.request_id,
                a.diff,
                a.hash,
            )
            .where(_in(a.created_at, period))
            .order_by(a.seq),
        )
    raise UserInputError("Unknown export.", ErrorCode.NOT_FOUND, "kind")


async def stream_rows(engine: AsyncEngine, select: sa.Select[Any]) -> AsyncIterator[Sequence[Any]]:
    """Rows as the database sends them (a server-side cursor on PostgreSQL), never all at once."""
    async with snapshot_connection(engine) as connection:
        result = await connection.stream(select.execution_options(yield_per=1000))
        async for row in result:
            yield [
                orjson.dumps(value).decode() if isinstance(value, (dict, list)) else value
                for value in row
            ]


# ---------------------------------------------------------------- signed links


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"admiral-exports:" + secret.encode()).digest()


def signature(
    secret: str, kind: str, period: DateRange, expires: int, user: str | None = None
) -> str:
    message = f"{kind}|{period.start.isoformat()}|{period.end.isoformat()}|{expires}"
    if user is not None:
        message += f"|{user}"
    return hmac.new(_key(secret), message.encode(), hashlib.sha256).hexdigest()


def signed_url(
    base: str, secret: str, kind: str, period: DateRange, user: str | None = None
) -> str:
    """`user` (an encoded user id): the link of a session admin, scoped to their customers."""
    expires = int(clock.now().timestamp()) + LINK_SECONDS
    query = {
        "start_date": period.start.isoformat(),
        "end_date": period.end.isoformat(),
        "expires": str(expires),
    }
    if user is not None:
        query["user"] = user
    query["signature"] = signature(secret, kind, period, expires, user)
    return f"{base}/exports/{kind}.csv?{urlencode(query)}"


def check_signature(
    secret: str,
    kind: str,
    period: DateRange,
    expires: str,
    given: str,
    user: str | None = None,
) -> None:
    """Raises with SIGNATURE_INVALID or SIGNATURE_EXPIRED."""
    try:
        at = int(expires)
    except ValueError:
        raise UserInputError("The link is not valid.", ErrorCode.SIGNATURE_INVALID) from None
    wanted = signature(secret, kind, period, at, user)
    if not hmac.compare_digest(wanted, given):
        raise UserInputError("The link is not valid.", ErrorCode.SIGNATURE_INVALID)
    if clock.now().timestamp() > at:
        raise UserInputError(
            "The link has expired; ask for a new one.", ErrorCode.SIGNATURE_EXPIRED
        )
