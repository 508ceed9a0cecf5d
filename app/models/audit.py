"""The audit trail (hash-chained) and stored mutation results for idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.kit.actor import ActorType
from app.models.base import JSONType, SQLModel, UTCDateTime, created_field, enum_column, id_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    PREFIX: ClassVar[str] = "aud"  # its public ids read `aud_…`

    id: uuid.UUID = id_field()
    seq: int = Field(sa_type=sa.BigInteger, unique=True)
    created_at: datetime = created_field()
    actor_type: ActorType = Field(sa_type=enum_column(ActorType))
    actor_id: str | None = Field(default=None, sa_type=sa.String(64), index=True)
    impersonator_id: str | None = Field(default=None, sa_type=sa.String(64))
    action: str = Field(sa_type=sa.String(64), index=True)
    target_type: str = Field(sa_type=sa.String(32))
    target_id: str | None = Field(default=None, sa_type=sa.String(64), index=True)
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    diff: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    request_id: str | None = Field(default=None, sa_type=sa.String(64))
    client_addr: str | None = Field(default=None, sa_type=sa.String(64))
    prev_hash: str = Field(sa_type=sa.String(64))
    hash: str = Field(sa_type=sa.String(64))

    __table_args__ = (sa.Index("ix_audit_events_created_at", "created_at"),)


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"

    id: uuid.UUID = id_field()
    owner: str = Field(sa_type=sa.String(80))
    key: str = Field(sa_type=sa.String(255))
    operation: str = Field(sa_type=sa.String(64))
    request_hash: str = Field(sa_type=sa.String(64))
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)

    __table_args__ = (sa.UniqueConstraint("owner", "key"),)
