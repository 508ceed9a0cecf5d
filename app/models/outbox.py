"""The transactional outbox: events for the outside world, written with the change they describe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import JSONType, SQLModel, created_field, id_field, time_field


class OutboxEvent(SQLModel, table=True):
    """One published event; the dispatcher fans it out (webhook deliveries, mails) once."""

    __tablename__ = "outbox_events"
    PREFIX: ClassVar[str] = "evt"

    id: uuid.UUID = id_field()
    event_type: str = Field(sa_type=sa.String(100), index=True)
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    request_id: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()
    # Set once the dispatcher has fanned the event out; pending events are those without it.
    dispatched_at: datetime | None = time_field()
