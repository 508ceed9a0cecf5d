"""The SQL pieces every metric shares: tables, the MRR of a subscription row, revenue."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models.auth import LoginSession
from app.models.billing import Plan, PlanVersion, Subscription
from app.models.customers import Customer, Membership
from app.models.invoices import CreditNote, CreditTransaction, Invoice
from app.models.metrics import CostEntry, SubscriptionChange
from app.models.users import Feedback, User

USERS = User.__table__  # type: ignore[attr-defined]
SESSIONS = LoginSession.__table__  # type: ignore[attr-defined]
FEEDBACK = Feedback.__table__  # type: ignore[attr-defined]
CUSTOMERS = Customer.__table__  # type: ignore[attr-defined]
MEMBERSHIPS = Membership.__table__  # type: ignore[attr-defined]
PLANS = Plan.__table__  # type: ignore[attr-defined]
PLAN_VERSIONS = PlanVersion.__table__  # type: ignore[attr-defined]
SUBSCRIPTIONS = Subscription.__table__  # type: ignore[attr-defined]
INVOICES = Invoice.__table__  # type: ignore[attr-defined]
CREDIT_NOTES = CreditNote.__table__  # type: ignore[attr-defined]
CREDITS = CreditTransaction.__table__  # type: ignore[attr-defined]
COSTS = CostEntry.__table__  # type: ignore[attr-defined]
CHANGES = SubscriptionChange.__table__  # type: ignore[attr-defined]

PAYING = ("ACTIVE", "PAST_DUE")
# Invoices whose money came in (a paid invoice stays revenue; its credit notes are refunds).
PAID = ("PAID",)


def monthly(price: Any, interval: Any) -> sa.ColumnElement[int]:
    """A price per interval as a monthly amount, a yearly price's twelfth rounded half to
    even, in integers on both engines (the rule of `app/billing/proration.py`)."""
    q = price // 12  # integer division on both engines (prices are never negative)
    r = price - q * 12
    rounded = q + sa.case((r > 6, 1), (r == 6, q % 2), else_=0)
    return sa.case((interval == "YEAR", rounded), else_=price)


def subscription_mrr() -> sa.ColumnElement[int]:
    s = SUBSCRIPTIONS.c
    return sa.case(
        (s.status.in_(PAYING), monthly(s.price_amount, s.interval)),
        else_=0,
    )


def net_revenue() -> sa.ColumnElement[int]:
    """What an invoice earned: its total without the tax collected for others."""
    earned: sa.ColumnElement[int] = INVOICES.c.total - INVOICES.c.tax_total
    return earned


def coalesce_sum(expression: Any) -> sa.ColumnElement[int]:
    total: sa.ColumnElement[int] = sa.func.coalesce(sa.func.sum(expression), 0)
    return total
