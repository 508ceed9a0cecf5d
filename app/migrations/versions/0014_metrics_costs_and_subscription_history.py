"""metrics: cost entries and the subscription history (MRR movements)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:32:55.657531
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from fractions import Fraction

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_cost_entries_plan_id_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_entries")),
    )
    with op.batch_alter_table("cost_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cost_entries_incurred_on"), ["incurred_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cost_entries_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("status_before", sa.String(length=24), nullable=True),
        sa.Column("status_after", sa.String(length=24), nullable=False),
        sa.Column("mrr_before", sa.BigInteger(), nullable=False),
        sa.Column("mrr_after", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscription_changes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_changes_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
    )
    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscription_changes_customer_occurred",
            ["customer_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index("ix_subscription_changes_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subscription_changes_subscription_id"), ["subscription_id"], unique=False
        )
    _backfill_history()
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_status_paid_at", ["status", "paid_at"], unique=False)


def _monthly(price: int, interval: str) -> int:
    # A yearly price's twelfth rounded half to even, as app/billing/proration.py does.
    return round(Fraction(price, 12)) if interval == "YEAR" else price


def _backfill_history() -> None:
    """One row per existing subscription, at its creation, with what it pays now: the
    movements of later changes start from there."""
    connection = op.get_bind()
    subscriptions = sa.table(
        "subscriptions",
        *(sa.column(name, sa.Uuid()) for name in ("id", "customer_id", "plan_id")),
        *(
            sa.column(name)
            for name in ("price_amount", "currency", "interval", "status", "created_at")
        ),
    )
    changes = sa.table(
        "subscription_changes",
        *(
            sa.column(name, sa.Uuid())
            for name in ("id", "customer_id", "subscription_id", "plan_id")
        ),
        *(
            sa.column(name)
            for name in (
                "action",
                "status_before",
                "status_after",
                "mrr_before",
                "mrr_after",
                "currency",
                "occurred_at",
            )
        ),
    )
    rows = connection.execute(sa.select(subscriptions)).mappings().all()
    values = [
        {
            "id": uuid.uuid4(),
            "customer_id": row["customer_id"],
            "subscription_id": row["id"],
            "plan_id": row["plan_id"],
            "action": "subscription.backfill",
            "status_before": None,
            "status_after": row["status"],
            "mrr_before": 0,
            "mrr_after": _monthly(row["price_amount"], row["interval"])
            if row["status"] in ("ACTIVE", "PAST_DUE")
            else 0,
            "currency": row["currency"],
            "occurred_at": row["created_at"],
        }
        for row in rows
    ]
    if values:
        connection.execute(changes.insert(), values)


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_status_paid_at")
    with op.batch_alter_table("subscription_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_changes_subscription_id"))
        batch_op.drop_index("ix_subscription_changes_occurred_at")
        batch_op.drop_index("ix_subscription_changes_customer_occurred")

    op.drop_table("subscription_changes")
    with op.batch_alter_table("cost_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_entries_plan_id"))
        batch_op.drop_index(batch_op.f("ix_cost_entries_incurred_on"))

    op.drop_table("cost_entries")
