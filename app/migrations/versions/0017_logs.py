"""logs: stored log entries (INFO and above), grouped into error groups by fingerprint

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("level_no", sa.SmallInteger(), nullable=False),
        sa.Column("logger", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("operation_name", sa.String(length=100), nullable=True),
        sa.Column("principal_id", sa.String(length=64), nullable=True),
        sa.Column("principal_kind", sa.String(length=24), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error_type", sa.String(length=200), nullable=True),
        sa.Column("error_place", sa.String(length=300), nullable=True),
        sa.Column("fingerprint", sa.String(length=32), nullable=True),
        sa.Column("stack", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs")),
    )
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_logs_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            "ix_logs_fingerprint_created_at", ["fingerprint", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("logs", schema=None) as batch_op:
        batch_op.drop_index("ix_logs_fingerprint_created_at")
        batch_op.drop_index(batch_op.f("ix_logs_request_id"))
        batch_op.drop_index(batch_op.f("ix_logs_created_at"))
    op.drop_table("logs")
