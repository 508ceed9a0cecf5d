"""ops: runtime settings and alerts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 06:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "runtime_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_runtime_settings")),
    )
    op.create_table(
        "ops_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("FIRING", "RESOLVED", name="alertstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("delivery_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_alerts")),
    )
    with op.batch_alter_table("ops_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ops_alerts_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_ops_alerts_status"), ["status"], unique=False)
        batch_op.create_index("ix_ops_alerts_fired_at", ["fired_at"], unique=False)
        batch_op.create_index(
            "uq_ops_alerts_firing_kind",
            ["kind"],
            unique=True,
            sqlite_where=sa.text("status = 'FIRING'"),
            postgresql_where=sa.text("status = 'FIRING'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("ops_alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_ops_alerts_firing_kind")
        batch_op.drop_index("ix_ops_alerts_fired_at")
        batch_op.drop_index(batch_op.f("ix_ops_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_ops_alerts_kind"))
    op.drop_table("ops_alerts")
    op.drop_table("runtime_settings")
