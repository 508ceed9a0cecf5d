"""API keys: the credentials a customer's product presents, stored only as hashes."""

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
    created_field,
    enum_column,
    foreign_key,
    id_field,
    time_field,
)


class KeyEnvironment(enum.StrEnum):
    LIVE = "LIVE"
    TEST = "TEST"


class KeyStatus(enum.StrEnum):
    """Derived from the row and the clock (`app/keys/repository.py`), never stored."""

    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    PREFIX: ClassVar[str] = "key"  # its public ids read `key_…`

    id: uuid.UUID = id_field()
    # Indexed by (customer_id, created_at) below, which serves lookups by customer too.
    customer_id: uuid.UUID = foreign_key("customers.id", index=False)
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="projects.id", ondelete="CASCADE", index=True
    )
    name: str = Field(sa_type=sa.String(200))
    environment: KeyEnvironment = Field(sa_type=enum_column(KeyEnvironment))
    # SHA-256 of the whole secret: the one column verification looks a key up by.
    key_hash: str = Field(sa_type=sa.String(64), unique=True)
    start: str = Field(sa_type=sa.String(24))
    scopes: list[str] = Field(default_factory=list, sa_type=JSONType)
    created_by: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    expires_at: datetime | None = time_field()
    # Revocation takes effect at this time; a rotation sets it to the end of its grace period.
    revoked_at: datetime | None = time_field()
    revoked_reason: str | None = Field(default=None, sa_type=sa.String(500))
    replaced_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="api_keys.id", ondelete="SET NULL"
    )
    # Written behind: batched from an in-process buffer, never on the verification path.
    last_used_at: datetime | None = time_field()
    # Copied from the customer (its status) and its plan by the fan-out (`app/keys/fanout.py`)
    # so that verification reads one row and joins nothing.
    enabled: bool = Field(default=True)
    plan_code: str | None = Field(default=None, sa_type=sa.String(64))
    rate_per_second: int | None = Field(default=None)
    monthly_quota: int | None = Field(default=None, sa_type=sa.BigInteger)
    # Set by the usage aggregator when the customer's month passed its quota (the end of that
    # month): verification answers USAGE_EXCEEDED until then, still reading this one row.
    usage_exceeded_until: datetime | None = time_field()

    __table_args__: Any = (
        sa.Index("ix_api_keys_customer_id_created_at", "customer_id", "created_at"),
    )


def _table() -> sa.Table:
    table: sa.Table = ApiKey.__table__  # type: ignore[attr-defined]
    return table


API_KEYS = _table()
