"""Coupons (what an operator offers) and discounts (a coupon applied to a customer).

A coupon takes off either a percentage (stored in basis points: 1250 is 12.5 %) or a fixed
amount in one currency, never both; the database checks it as well as the service. A discount
keeps running when its coupon is deleted, as in Stripe: deleting only stops new redemptions.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

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


class CouponDuration(enum.StrEnum):
    ONCE = "ONCE"  # the next invoice only
    REPEATING = "REPEATING"  # for `duration_in_months` months
    FOREVER = "FOREVER"


class Coupon(SQLModel, table=True):
    __tablename__ = "coupons"
    PREFIX: ClassVar[str] = "cpn"  # its public ids read `cpn_…`

    id: uuid.UUID = id_field()
    code: str = Field(sa_type=sa.String(64), unique=True, index=True)
    name: str = Field(sa_type=sa.String(200))
    # Basis points of the subtotal (1–10000), or null for an amount-off coupon.
    percent_off_bp: int | None = Field(default=None)
    amount_off: int | None = Field(default=None, sa_type=sa.BigInteger)
    currency: str | None = Field(default=None, sa_type=sa.String(3))
    duration: CouponDuration = Field(sa_type=enum_column(CouponDuration))
    duration_in_months: int | None = Field(default=None)
    max_redemptions: int | None = Field(default=None)
    times_redeemed: int = Field(default=0)
    redeem_by: datetime | None = time_field()
    # Plan codes the coupon is limited to; null: every plan.
    applies_to_plans: list[str] | None = Field(default=None, sa_type=JSONType)
    stripe_coupon_id: str | None = Field(default=None, sa_type=sa.String(255))
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    deleted_at: datetime | None = time_field()

    __table_args__ = (
        sa.CheckConstraint(
            "(percent_off_bp IS NULL) <> (amount_off IS NULL)", name="one_kind_of_discount"
        ),
        sa.CheckConstraint(
            "(amount_off IS NULL) = (currency IS NULL)", name="currency_with_amount_off"
        ),
        sa.CheckConstraint(
            "percent_off_bp IS NULL OR (percent_off_bp >= 1 AND percent_off_bp <= 10000)",
            name="percent_off_range",
        ),
        sa.CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount_off_positive"),
        sa.CheckConstraint(
            "(duration = 'REPEATING') = (duration_in_months IS NOT NULL)",
            name="months_only_when_repeating",
        ),
        sa.CheckConstraint(
            "duration_in_months IS NULL OR duration_in_months >= 1", name="months_positive"
        ),
        sa.CheckConstraint(
            "times_redeemed >= 0"
            " AND (max_redemptions IS NULL OR times_redeemed <= max_redemptions)",
            name="redemptions_within_max",
        ),
        sa.Index("ix_coupons_created_at_id", "created_at", "id"),
        # Values that satisfy the checks above, for code that writes a row of every table
        # from its columns alone (the tests' walks over every read model).
        {"info": {"example": {"code": "EXAMPLE", "percent_off_bp": 1000}}},
    )


class Discount(SQLModel, table=True):
    __tablename__ = "discounts"
    PREFIX: ClassVar[str] = "dsc"  # its public ids read `dsc_…`

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    coupon_id: uuid.UUID = foreign_key("coupons.id")
    # The subscription it was redeemed for, if any (that table belongs to subscriptions).
    subscription_id: uuid.UUID | None = Field(default=None, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # REPEATING: start plus its months; ONCE: set when its invoice used it; FOREVER: null.
    ends_at: datetime | None = time_field()
    removed_at: datetime | None = time_field()
    # Invoices it has been applied to (ONCE and REPEATING end when they are used up).
    invoices_applied: int = Field(default=0)
    created_at: datetime = created_field()


def discount_is_active(at: datetime) -> sa.ColumnElement[bool]:
    """The one rule for an active discount at `at`: started, not ended, not removed.

    Here beside the table because two domains read it: billing, and the customers' read model
    (its `discounts` relation), which may not import billing."""
    table: sa.Table = Discount.__table__  # type: ignore[attr-defined]
    moment = sa.literal(at, UTCDateTime())
    return sa.and_(
        table.c.removed_at.is_(None),
        table.c.started_at <= moment,
        sa.or_(table.c.ends_at.is_(None), table.c.ends_at > moment),
    )
