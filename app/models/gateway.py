"""What the payment provider told us: every Stripe webhook event received, once."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import SQLModel, UTCDateTime, created_field, enum_column


class StripeEventStatus(enum.StrEnum):
    APPLIED = "APPLIED"  # local state follows the event
    SKIPPED_OVERRIDE = "SKIPPED_OVERRIDE"  # the subscription carries the admin override flag
    IGNORED = "IGNORED"  # a type we do not act on, or an object we do not know
    OUT_OF_ORDER = "OUT_OF_ORDER"  # older than what was already applied to its object


class StripeEvent(SQLModel, table=True):
    """One Stripe event id, stored when first received: a repeat delivery finds it and stops."""

    __tablename__ = "stripe_events"

    # Stripe's own event id (`evt_…`): the primary key is what makes a repeat a no-op.
    id: str = Field(sa_type=sa.String(255), primary_key=True)
    type: str = Field(sa_type=sa.String(100), index=True)
    # Stripe's timestamp of the event (whole seconds), the order events are applied in.
    created: datetime = Field(sa_type=UTCDateTime, nullable=False)
    received_at: datetime = created_field()
    status: StripeEventStatus = Field(sa_type=enum_column(StripeEventStatus))
    # The id of the event's object (`sub_…`, `in_…`), to list what happened to it.
    object_id: str | None = Field(default=None, sa_type=sa.String(255), index=True)
    # The object whose timeline orders the event (its subscription, else the object itself):
    # the last APPLIED event of a timeline is what an out-of-order event is compared with.
    timeline_id: str | None = Field(default=None, sa_type=sa.String(255), index=True)
    # The Admiral customer concerned, when known: skipped events are listed on the customer.
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    note: str | None = Field(default=None, sa_type=sa.String(200))
