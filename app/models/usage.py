"""Usage metering: declared metrics, raw events, their hourly and daily rollups.

Raw events are written by `POST /v1/usage` and rolled up behind (`app/usage/aggregator.py`):
an event with `flush_batch IS NULL` is not yet in the rollups; the aggregator claims a batch by
setting that column and adds the batch to the rollups in the same transaction, so an event is
counted once whatever crashes or however many processes flush at once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
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
)

# SQLite gives an INTEGER PRIMARY KEY its rowid sequence; BIGINT elsewhere.
SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# A rollup's project when its events named none (a unique key cannot hold NULL on both engines).
NO_PROJECT = uuid.UUID(int=0)


class Aggregation(enum.StrEnum):
    SUM = "SUM"  # the quantities added
    MAX = "MAX"  # the largest quantity of the bucket
    UNIQUE_COUNT = "UNIQUE_COUNT"  # how many distinct `properties.value` the bucket saw


class Granularity(enum.StrEnum):
    HOUR = "HOUR"
    DAY = "DAY"


class UsageMetric(SQLModel, table=True):
    __tablename__ = "usage_metrics"
    PREFIX: ClassVar[str] = "umt"

    id: uuid.UUID = id_field()
    code: str = Field(sa_type=sa.String(64), unique=True)
    name: str = Field(sa_type=sa.String(200))
    unit: str = Field(sa_type=sa.String(32))
    aggregation: Aggregation = Field(sa_type=enum_column(Aggregation))
    # Cost of one unit in integer minor units of `currency` per million units (the cost model).
    unit_cost_micros: int = Field(default=0, sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    created_at: datetime = created_field()


class UsageEvent(SQLModel, table=True):
    __tablename__ = "usage_events"

    seq: int | None = Field(default=None, sa_type=SEQUENCE, primary_key=True)
    customer_id: uuid.UUID = foreign_key("customers.id", index=False)
    project_id: uuid.UUID = Field(sa_type=sa.Uuid)  # NO_PROJECT when none
    metric_id: uuid.UUID = foreign_key("usage_metrics.id", index=False)
    key_id: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)
    quantity: int = Field(sa_type=sa.BigInteger)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    # The buckets, fixed at ingest so the aggregator groups by plain columns on both engines.
    hour_start: datetime = Field(sa_type=UTCDateTime)
    day_start: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = created_field()
    idempotency_key: str | None = Field(default=None, sa_type=sa.String(200))
    unique_value: str | None = Field(default=None, sa_type=sa.String(200))
    properties: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    flush_batch: uuid.UUID | None = Field(default=None, sa_type=sa.Uuid)

    # On PostgreSQL the table is partitioned by month of `occurred_at` (migration 0015; the
    # primary key there is (seq, occurred_at), as a partitioned table's keys must hold the
    # partition column), so a unique idempotency key cannot live here: see UsageIdempotencyKey.
    __table_args__: Any = (
        sa.Index("ix_usage_events_customer_id_day_start", "customer_id", "day_start"),
        sa.Index("ix_usage_events_flush_batch", "flush_batch"),
        sa.Index("ix_usage_events_occurred_at", "occurred_at"),
    )


class UsageIdempotencyKey(SQLModel, table=True):
    """The idempotency keys a customer's events carried: the event is stored only when its key
    is inserted here, in the same statement (PostgreSQL) or transaction (SQLite), so a
    repeated key counts once. Kept `IDEMPOTENCY_KEPT` days (app/usage/aggregator.py), longer
    than an event's timestamp may lag, so a retried event that names its time always counts
    once."""

    __tablename__ = "usage_idempotency_keys"

    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", primary_key=True)
    idempotency_key: str = Field(sa_type=sa.String(200), primary_key=True)
    received_at: datetime = Field(sa_type=UTCDateTime, index=True)


class UsageRollup(SQLModel, table=True):
    __tablename__ = "usage_rollups"

    granularity: Granularity = Field(sa_type=enum_column(Granularity), primary_key=True)
    bucket_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", primary_key=True)
    project_id: uuid.UUID = Field(sa_type=sa.Uuid, primary_key=True)
    metric_id: uuid.UUID = Field(
        foreign_key="usage_metrics.id", ondelete="CASCADE", primary_key=True
    )
    quantity: int = Field(default=0, sa_type=sa.BigInteger)
    event_count: int = Field(default=0, sa_type=sa.BigInteger)
    updated_at: datetime = created_field()

    __table_args__: Any = (
        sa.Index("ix_usage_rollups_customer_id_bucket_start", "customer_id", "bucket_start"),
    )


class UsageUniqueValue(SQLModel, table=True):
    """The distinct values a UNIQUE_COUNT bucket has seen: inserting one that is already there
    does nothing, so the rollup adds only the values new to its bucket."""

    __tablename__ = "usage_unique_values"

    granularity: Granularity = Field(sa_type=enum_column(Granularity), primary_key=True)
    bucket_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", primary_key=True)
    project_id: uuid.UUID = Field(sa_type=sa.Uuid, primary_key=True)
    metric_id: uuid.UUID = Field(
        foreign_key="usage_metrics.id", ondelete="CASCADE", primary_key=True
    )
    value: str = Field(sa_type=sa.String(200), primary_key=True)


class UsageThreshold(SQLModel, table=True):
    """A quota threshold a customer reached in a month: one row per (month, percent), so the
    `usage.threshold_reached` event is published once."""

    __tablename__ = "usage_thresholds"

    customer_id: uuid.UUID = Field(foreign_key="customers.id", ondelete="CASCADE", primary_key=True)
    month: str = Field(sa_type=sa.String(7), primary_key=True)  # YYYY-MM
    percent: int = Field(primary_key=True)
    reached_at: datetime = created_field()


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


USAGE_METRICS = _table(UsageMetric)
USAGE_EVENTS = _table(UsageEvent)
USAGE_IDEMPOTENCY_KEYS = _table(UsageIdempotencyKey)
USAGE_ROLLUPS = _table(UsageRollup)
USAGE_UNIQUE_VALUES = _table(UsageUniqueValue)
USAGE_THRESHOLDS = _table(UsageThreshold)
