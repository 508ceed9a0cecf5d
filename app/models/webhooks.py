"""Customer webhook endpoints, the deliveries fanned out to them, and each delivery's attempts."""

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


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    PREFIX: ClassVar[str] = "whe"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    url: str = Field(sa_type=sa.String(2000))
    description: str | None = Field(default=None, sa_type=sa.String(500))
    event_types: list[str] = Field(default_factory=list, sa_type=JSONType)
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, sa_type=sa.String(500))
    # The signing secret (`whsec_…`), encrypted at rest: it must be used again to sign.
    secret_encrypted: str = Field(sa_type=sa.Text)
    # After a rotation the old secret signs alongside the new one until it expires.
    previous_secret_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    previous_secret_expires_at: datetime | None = time_field()
    # The first failure since the last success; five days of failures disable the endpoint.
    failing_since: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"  # due now or at `next_attempt_at`
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # every attempt failed, or its endpoint was disabled
    DISCARDED = "DISCARDED"  # an operator gave it up (`jobDiscard`): never sent again


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint; sent until it succeeds or its attempts run out."""

    __tablename__ = "webhook_deliveries"
    PREFIX: ClassVar[str] = "whd"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = Field(index=True)
    endpoint_id: uuid.UUID = foreign_key("webhook_endpoints.id")
    # The outbox event it came from: its public id is the `webhook-id` every attempt repeats.
    event_id: uuid.UUID
    event_type: str = Field(sa_type=sa.String(100), index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_column(DeliveryStatus), index=True
    )
    attempt_count: int = Field(default=0)
    next_attempt_at: datetime | None = time_field(index=True)
    # A dispatcher owns the delivery until `lease_until` (claimed, being sent).
    lease_token: uuid.UUID | None = Field(default=None)
    lease_until: datetime | None = time_field()
    last_status_code: int | None = Field(default=None)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()

    __table_args__ = (sa.UniqueConstraint("endpoint_id", "event_id"),)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    PREFIX: ClassVar[str] = "wha"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = Field(index=True)
    delivery_id: uuid.UUID = foreign_key("webhook_deliveries.id")
    attempted_at: datetime = created_field()
    status_code: int | None = Field(default=None)
    duration_ms: int = Field(default=0)
    error: str | None = Field(default=None, sa_type=sa.String(500))
    response_excerpt: str | None = Field(default=None, sa_type=sa.String(1000))
    next_retry_at: datetime | None = time_field()
