"""Mails to people (invitations, resets, notices), sent by the dispatcher through SMTP."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import JSONType, SQLModel, created_field, enum_column, id_field, time_field


class EmailStatus(enum.StrEnum):
    PENDING = "PENDING"  # to be sent now or at `next_attempt_at`
    QUEUED = "QUEUED"  # no SMTP server configured: kept here, listed in `emails`
    SENT = "SENT"
    FAILED = "FAILED"  # every attempt failed
    DISCARDED = "DISCARDED"  # an operator gave it up (`jobDiscard`): never sent


class Email(SQLModel, table=True):
    __tablename__ = "emails"
    PREFIX: ClassVar[str] = "eml"

    id: uuid.UUID = id_field()
    event_id: uuid.UUID = Field(unique=True)
    customer_id: uuid.UUID | None = Field(default=None, index=True)
    template: str = Field(sa_type=sa.String(64))
    to_address: str = Field(sa_type=sa.String(320))
    subject: str = Field(sa_type=sa.String(300))
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # A secret link (reset, invitation) encrypted at rest; erased once the mail was sent.
    link_encrypted: str | None = Field(default=None, sa_type=sa.Text)
    status: EmailStatus = Field(
        default=EmailStatus.PENDING, sa_type=enum_column(EmailStatus), index=True
    )
    attempt_count: int = Field(default=0)
    next_attempt_at: datetime | None = time_field(index=True)
    lease_token: uuid.UUID | None = Field(default=None)
    lease_until: datetime | None = time_field()
    # Each attempt: {"at", "error"} (errors only, never the message or its link).
    attempts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    last_error: str | None = Field(default=None, sa_type=sa.String(500))
    sent_at: datetime | None = time_field()
    created_at: datetime = created_field()
