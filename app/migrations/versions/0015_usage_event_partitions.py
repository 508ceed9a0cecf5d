"""usage: idempotency keys in their own table; raw events partitioned by month on PostgreSQL

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:10:00

A partitioned table's unique indexes must hold the partition column, so the unique index on
(customer_id, idempotency_key) moves to `usage_idempotency_keys` (both engines, one schema).
On PostgreSQL `usage_events` becomes `PARTITION BY RANGE (occurred_at)` with a partition per
month (those the data needs and the next ones) and a default one; its rows, sequence and
indexes carry over. SQLite keeps the plain table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "seq, customer_id, project_id, metric_id, key_id, quantity, occurred_at, hour_start, "
    "day_start, received_at, idempotency_key, unique_value, properties, flush_batch"
)
INDEXES = {
    "ix_usage_events_customer_id_day_start": "(customer_id, day_start)",
    "ix_usage_events_flush_batch": "(flush_batch)",
    "ix_usage_events_occurred_at": "(occurred_at)",
}
AHEAD = 3


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _table_sql(seq: str, primary_key: str, partitioned: bool) -> str:
    return f"""CREATE TABLE usage_events (
        seq BIGINT NOT NULL DEFAULT nextval('{seq}'),
        customer_id UUID NOT NULL,
        project_id UUID NOT NULL,
        metric_id UUID NOT NULL,
        key_id UUID,
        quantity BIGINT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        hour_start TIMESTAMP WITH TIME ZONE NOT NULL,
        day_start TIMESTAMP WITH TIME ZONE NOT NULL,
        received_at TIMESTAMP WITH TIME ZONE NOT NULL,
        idempotency_key VARCHAR(200),
        unique_value VARCHAR(200),
        properties JSONB,
        flush_batch UUID,
        CONSTRAINT pk_usage_events PRIMARY KEY ({primary_key}),
        CONSTRAINT fk_usage_events_customer_id_customers FOREIGN KEY (customer_id)
            REFERENCES customers (id) ON DELETE CASCADE,
        CONSTRAINT fk_usage_events_metric_id_usage_metrics FOREIGN KEY (metric_id)
            REFERENCES usage_metrics (id) ON DELETE CASCADE
    ){" PARTITION BY RANGE (occurred_at)" if partitioned else ""}"""


def _month(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _rebuild(partitioned: bool) -> None:
    """Move `usage_events` into a new table of the other kind, rows and sequence kept."""
    bind = op.get_bind()
    seq = bind.execute(sa.text("SELECT pg_get_serial_sequence('usage_events', 'seq')")).scalar()
    if seq is None:  # a plain column with a default, as this migration writes it
        seq = "usage_events_seq_seq"
    op.execute("ALTER TABLE usage_events RENAME TO usage_events_old")
    op.execute(
        "ALTER TABLE usage_events_old RENAME CONSTRAINT pk_usage_events TO pk_usage_events_old"
    )
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    op.execute(_table_sql(seq, "seq, occurred_at" if partitioned else "seq", partitioned))
    op.execute(f"ALTER SEQUENCE {seq} OWNED BY usage_events.seq")
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON usage_events {columns}")
    if partitioned:
        op.execute("CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT")
        oldest = bind.execute(sa.text("SELECT min(occurred_at) FROM usage_events_old")).scalar()
        now = datetime.now(UTC)
        start = _month(min(oldest, now) if oldest is not None else now)
        last = _month(now)
        for _ in range(AHEAD - 1):
            last = _next(last)
        while start <= last:
            low, high = start, _next(start)
            op.execute(
                f"CREATE TABLE usage_events_p{low:%Y%m} PARTITION OF usage_events FOR VALUES "
                f"FROM ('{low:%Y-%m-%d} 00:00:00+00') TO ('{high:%Y-%m-%d} 00:00:00+00')"
            )
            start = high
    copy = f"INSERT INTO usage_events ({COLUMNS}) SELECT {COLUMNS} FROM usage_events_old"  # noqa: S608
    op.execute(copy)
    op.execute("DROP TABLE usage_events_old")


def upgrade() -> None:
    op.create_table(
        "usage_idempotency_keys",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_usage_idempotency_keys_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "idempotency_key", name=op.f("pk_usage_idempotency_keys")
        ),
    )
    with op.batch_alter_table("usage_idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_usage_idempotency_keys_received_at"), ["received_at"], unique=False
        )
    op.execute(
        "INSERT INTO usage_idempotency_keys (customer_id, idempotency_key, received_at) "
        "SELECT customer_id, idempotency_key, max(received_at) FROM usage_events "
        "WHERE idempotency_key IS NOT NULL GROUP BY customer_id, idempotency_key"
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_customer_id_idempotency_key")
    if _is_postgres():
        _rebuild(partitioned=True)


def downgrade() -> None:
    if _is_postgres():
        _rebuild(partitioned=False)
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_events_customer_id_idempotency_key",
            ["customer_id", "idempotency_key"],
            unique=True,
        )
    with op.batch_alter_table("usage_idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_idempotency_keys_received_at"))
    op.drop_table("usage_idempotency_keys")
