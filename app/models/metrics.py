"""What the metrics read beside billing: recorded costs, and the history of what each
subscription paid (the MRR movements are read from it).

Amounts are integer minor units with their currency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import SQLModel, UTCDateTime, created_field, foreign_key, id_field
from app.models.invoices import Invoice


class CostEntry(SQLModel, table=True):
    """A cost the business paid on a day (hosting, email, payment fees…), entered or imported."""

    __tablename__ = "cost_entries"
    PREFIX: ClassVar[str] = "cst"

    id: uuid.UUID = id_field()
    incurred_on: date = Field(sa_type=sa.Date, index=True)
    category: str = Field(sa_type=sa.String(64))
    amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    description: str = Field(default="", sa_type=sa.String(500))
    # Cost attributed to one plan (for the gross margin by plan); null: shared by all.
    plan_id: uuid.UUID | None = Field(
        default=None, foreign_key="plans.id", ondelete="SET NULL", index=True
    )
    created_by: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()


class SubscriptionChange(SQLModel, table=True):
    """One change of a subscription, with its monthly recurring revenue before and after.

    Written by the subscriptions service in the same transaction as the change
    (`app/billing/subscriptions/history.py`), so the history is exactly the changes committed.
    """

    __tablename__ = "subscription_changes"
    PREFIX: ClassVar[str] = "sch"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id", index=False)
    subscription_id: uuid.UUID = foreign_key("subscriptions.id")
    plan_id: uuid.UUID = Field(sa_type=sa.Uuid)
    action: str = Field(sa_type=sa.String(64))
    status_before: str | None = Field(default=None, sa_type=sa.String(24))
    status_after: str = Field(sa_type=sa.String(24))
    mrr_before: int = Field(default=0, sa_type=sa.BigInteger)
    mrr_after: int = Field(default=0, sa_type=sa.BigInteger)
    currency: str = Field(sa_type=sa.String(3))
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)

    __table_args__ = (
        sa.Index("ix_subscription_changes_customer_occurred", "customer_id", "occurred_at"),
        sa.Index("ix_subscription_changes_occurred_at", "occurred_at"),
    )


# The metrics read paid invoices by when they were paid (revenue of a range, by day): an index
# on the invoices table, declared here with the reads that need it.
sa.Index(
    "ix_invoices_status_paid_at",
    Invoice.__table__.c.status,  # type: ignore[attr-defined]
    Invoice.__table__.c.paid_at,  # type: ignore[attr-defined]
)
