"""stripe events

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "APPLIED",
                "SKIPPED_OVERRIDE",
                "IGNORED",
                "OUT_OF_ORDER",
                name="stripeeventstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("timeline_id", sa.String(length=255), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stripe_events_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stripe_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stripe_events_timeline_id"), ["timeline_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stripe_events_type"), ["type"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_type"))
        batch_op.drop_index(batch_op.f("ix_stripe_events_timeline_id"))
        batch_op.drop_index(batch_op.f("ix_stripe_events_object_id"))
        batch_op.drop_index(batch_op.f("ix_stripe_events_customer_id"))
    op.drop_table("stripe_events")
