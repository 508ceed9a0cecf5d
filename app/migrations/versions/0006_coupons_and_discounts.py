"""coupons and discounts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:40:25.758800
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("percent_off_bp", sa.Integer(), nullable=True),
        sa.Column("amount_off", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "duration",
            sa.Enum(
                "ONCE", "REPEATING", "FOREVER", name="couponduration", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("duration_in_months", sa.Integer(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("times_redeemed", sa.Integer(), nullable=False),
        sa.Column("redeem_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "applies_to_plans",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("stripe_coupon_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(duration = 'REPEATING') = (duration_in_months IS NOT NULL)",
            name=op.f("ck_coupons_months_only_when_repeating"),
        ),
        sa.CheckConstraint(
            "(amount_off IS NULL) = (currency IS NULL)",
            name=op.f("ck_coupons_currency_with_amount_off"),
        ),
        sa.CheckConstraint(
            "(percent_off_bp IS NULL) <> (amount_off IS NULL)",
            name=op.f("ck_coupons_one_kind_of_discount"),
        ),
        sa.CheckConstraint(
            "amount_off IS NULL OR amount_off > 0", name=op.f("ck_coupons_amount_off_positive")
        ),
        sa.CheckConstraint(
            "duration_in_months IS NULL OR duration_in_months >= 1",
            name=op.f("ck_coupons_months_positive"),
        ),
        sa.CheckConstraint(
            "percent_off_bp IS NULL OR (percent_off_bp >= 1 AND percent_off_bp <= 10000)",
            name=op.f("ck_coupons_percent_off_range"),
        ),
        sa.CheckConstraint(
            "times_redeemed >= 0 AND (max_redemptions IS NULL OR times_redeemed <= max_redemptions)",
            name=op.f("ck_coupons_redemptions_within_max"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coupons_code"), ["code"], unique=True)
        batch_op.create_index("ix_coupons_created_at_id", ["created_at", "id"], unique=False)
    op.create_table(
        "discounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("coupon_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoices_applied", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["coupons.id"],
            name=op.f("fk_discounts_coupon_id_coupons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_discounts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discounts")),
    )
    with op.batch_alter_table("discounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discounts_coupon_id"), ["coupon_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_discounts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_discounts_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("discounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discounts_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_discounts_customer_id"))
        batch_op.drop_index(batch_op.f("ix_discounts_coupon_id"))

    op.drop_table("discounts")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_created_at_id")
        batch_op.drop_index(batch_op.f("ix_coupons_code"))

    op.drop_table("coupons")
