"""usage: metrics, events, rollups, distinct values, thresholds; keys" usage flag

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:32:49.137631
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_metrics",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column(
            "aggregation",
            sa.Enum("SUM", "MAX", "UNIQUE_COUNT", name="aggregation", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("unit_cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_metrics")),
        sa.UniqueConstraint("code", name=op.f("uq_usage_metrics_code")),
    )
    op.create_table(
        "usage_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("metric_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hour_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("unique_value", sa.String(length=200), nullable=True),
        sa.Column(
            "properties",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("flush_batch", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_usage_events_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["usage_metrics.id"],
            name=op.f("fk_usage_events_metric_id_usage_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_usage_events")),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_events_customer_id_day_start", ["customer_id", "day_start"], unique=False
        )
        batch_op.create_index(
            "ix_usage_events_customer_id_idempotency_key",
            ["customer_id", "idempotency_key"],
            unique=True,
        )
        batch_op.create_index("ix_usage_events_flush_batch", ["flush_batch"], unique=False)
        batch_op.create_index("ix_usage_events_occurred_at", ["occurred_at"], unique=False)

    op.create_table(
        "usage_rollups",
        sa.Column(
            "granularity",
            sa.Enum("HOUR", "DAY", name="granularity", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("metric_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_usage_rollups_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["usage_metrics.id"],
            name=op.f("fk_usage_rollups_metric_id_usage_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "granularity",
            "bucket_start",
            "customer_id",
            "project_id",
            "metric_id",
            name=op.f("pk_usage_rollups"),
        ),
    )
    with op.batch_alter_table("usage_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_rollups_customer_id_bucket_start",
            ["customer_id", "bucket_start"],
            unique=False,
        )

    op.create_table(
        "usage_thresholds",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_usage_thresholds_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "month", "percent", name=op.f("pk_usage_thresholds")
        ),
    )
    op.create_table(
        "usage_unique_values",
        sa.Column(
            "granularity",
            sa.Enum("HOUR", "DAY", name="granularity", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("metric_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_usage_unique_values_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metric_id"],
            ["usage_metrics.id"],
            name=op.f("fk_usage_unique_values_metric_id_usage_metrics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "granularity",
            "bucket_start",
            "customer_id",
            "project_id",
            "metric_id",
            "value",
            name=op.f("pk_usage_unique_values"),
        ),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("usage_exceeded_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("usage_exceeded_until")

    op.drop_table("usage_unique_values")
    op.drop_table("usage_thresholds")
    with op.batch_alter_table("usage_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_rollups_customer_id_bucket_start")

    op.drop_table("usage_rollups")
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_occurred_at")
        batch_op.drop_index("ix_usage_events_flush_batch")
        batch_op.drop_index("ix_usage_events_customer_id_idempotency_key")
        batch_op.drop_index("ix_usage_events_customer_id_day_start")

    op.drop_table("usage_events")
    op.drop_table("usage_metrics")
