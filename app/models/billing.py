"""Plans and their versions, subscriptions, the proration lines the next invoice picks up, and
the payment-provider events skipped while an admin override holds."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    JSONType,
    SQLModel,
    UTCDateTime,
    created_field,
    enum_column,
    foreign_key,
    id_field,
    time_field,
)


class PlanInterval(enum.StrEnum):
    MONTH = "MONTH"
    YEAR = "YEAR"


class PlanStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"  # no new subscriptions; existing ones continue


class SubscriptionStatus(enum.StrEnum):
    TRIALING = "TRIALING"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"


LIVE_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)


class PendingItemKind(enum.StrEnum):
    PRORATION = "PRORATION"


def _sla_field() -> Any:
    return Field(default=None, sa_type=sa.Numeric(6, 3))


class Plan(SQLModel, table=True):
    """A plan of the catalog; its price and limits are those of its latest version."""

    __tablename__ = "plans"
    PREFIX: ClassVar[str] = "pln"  # its public ids read `pln_…`

    id: uuid.UUID = id_field()
    code: str = Field(sa_type=sa.String(64), unique=True, index=True)
    name: str = Field(sa_type=sa.String(200))
    description: str = Field(default="", sa_type=sa.Text)
    price_amount: int = Field(default=0, sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    interval: PlanInterval = Field(default=PlanInterval.MONTH, sa_type=enum_column(PlanInterval))
    trial_days: int = Field(default=0)
    monthly_quota: int | None = Field(default=None, sa_type=sa.BigInteger)
    rate_per_second: int | None = Field(default=None)
    seats: int | None = Field(default=None)
    sla_percent: Decimal | None = _sla_field()
    features: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: PlanStatus = Field(
        default=PlanStatus.ACTIVE, sa_type=enum_column(PlanStatus), index=True
    )
    version: int = Field(default=1)
    archived_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class PlanVersion(SQLModel, table=True):
    """One version of a plan's price and limits; subscriptions stay on the version they took."""

    __tablename__ = "plan_versions"
    PREFIX: ClassVar[str] = "plv"

    id: uuid.UUID = id_field()
    plan_id: uuid.UUID = foreign_key("plans.id")
    version: int
    price_amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(sa_type=sa.String(3))
    interval: PlanInterval = Field(sa_type=enum_column(PlanInterval))
    monthly_quota: int | None = Field(default=None, sa_type=sa.BigInteger)
    rate_per_second: int | None = Field(default=None)
    seats: int | None = Field(default=None)
    sla_percent: Decimal | None = _sla_field()
    created_at: datetime = created_field()

    __table_args__ = (sa.UniqueConstraint("plan_id", "version"),)


class Subscription(SQLModel, table=True):
    """A customer's subscription to one version of a plan; at most one live per customer."""

    __tablename__ = "subscriptions"
    PREFIX: ClassVar[str] = "sub"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    plan_id: uuid.UUID = foreign_key("plans.id", ondelete="RESTRICT")
    plan_version_id: uuid.UUID = foreign_key("plan_versions.id", ondelete="RESTRICT")
    plan_version: int
    # What the subscription pays per interval (its version's price, kept on the row so MRR and
    # proration read one row).
    price_amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(sa_type=sa.String(3))
    interval: PlanInterval = Field(sa_type=enum_column(PlanInterval))
    status: SubscriptionStatus = Field(sa_type=enum_column(SubscriptionStatus), index=True)
    trial_start: datetime | None = time_field()
    trial_end: datetime | None = time_field()
    current_period_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    current_period_end: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    billing_cycle_anchor: datetime = Field(sa_type=UTCDateTime, nullable=False)
    cancel_at_period_end: bool = Field(default=False)
    canceled_at: datetime | None = time_field()
    cancel_reason: str | None = Field(default=None, sa_type=sa.String(500))
    limits_override: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    limits_override_reason: str | None = Field(default=None, sa_type=sa.String(500))
    billing_override: bool = Field(default=False)
    billing_override_reason: str | None = Field(default=None, sa_type=sa.String(500))
    stripe_subscription_id: str | None = Field(default=None, sa_type=sa.String(255), index=True)
    stripe_customer_id: str | None = Field(default=None, sa_type=sa.String(255))
    # The moment the admin override was last cleared: Stripe events created before it are
    # older than the state the operator handed back, so they never apply (webhook rule 3).
    billing_override_cleared_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime = created_field()

    __table_args__ = (
        # One live subscription per customer, enforced by the database on both engines.
        sa.Index(
            "uq_subscriptions_live_customer",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("status != 'CANCELED'"),
            postgresql_where=sa.text("status != 'CANCELED'"),
        ),
    )


class PendingInvoiceItem(SQLModel, table=True):
    """A line waiting for the customer's next invoice (a proration of a plan change)."""

    __tablename__ = "pending_invoice_items"
    PREFIX: ClassVar[str] = "pii"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    subscription_id: uuid.UUID = foreign_key("subscriptions.id")
    description: str = Field(sa_type=sa.String(500))
    amount: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(sa_type=sa.String(3))
    period_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    period_end: datetime = Field(sa_type=UTCDateTime, nullable=False)
    kind: PendingItemKind = Field(
        default=PendingItemKind.PRORATION, sa_type=enum_column(PendingItemKind)
    )
    # Set by the invoice that picked the line up (no foreign key: invoices live elsewhere).
    invoice_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = created_field()


class BillingOverrideSkip(SQLModel, table=True):
    """A payment-provider event not applied because an admin override held the subscription."""

    __tablename__ = "billing_override_skips"
    PREFIX: ClassVar[str] = "bos"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    subscription_id: uuid.UUID | None = Field(default=None)
    provider_event_id: str = Field(sa_type=sa.String(255))
    event_type: str = Field(sa_type=sa.String(100))
    received_at: datetime = created_field()
    reason: str = Field(default="", sa_type=sa.String(500))

    __table_args__ = (
        sa.Index("ix_billing_override_skips_customer_received", "customer_id", "received_at"),
    )


class BillingTestClock(SQLModel, table=True):
    """A customer's billing test clock (only with `ADMIRAL_BILLING_TEST_CLOCKS`): the time
    their renewals have been run up to, and a test payment method for the local ledger."""

    __tablename__ = "billing_test_clocks"

    customer_id: uuid.UUID = Field(foreign_key="customers.id", primary_key=True, ondelete="CASCADE")
    frozen_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # True: the local ledger declines this customer's charges (to rehearse failed renewals).
    decline_payments: bool = Field(default=False)
    updated_at: datetime = created_field()
