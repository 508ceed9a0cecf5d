"""People: end users, their admin notes."""

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
    time_field,
)


class UserStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    BLOCKED = "BLOCKED"
    DELETED = "DELETED"


class NoteCategory(enum.StrEnum):
    GENERAL = "GENERAL"
    SUPPORT = "SUPPORT"
    TIER_CHANGE = "TIER_CHANGE"
    SUSPENSION = "SUSPENSION"
    PASSWORD_RESET = "PASSWORD_RESET"


class User(SQLModel, table=True):
    __tablename__ = "users"
    PREFIX: ClassVar[str] = "usr"  # its public ids read `usr_…`

    id: uuid.UUID = id_field()
    email: str = Field(sa_type=sa.String(320), unique=True, index=True)
    name: str = Field(default="", sa_type=sa.String(200))
    password_hash: str | None = Field(default=None, sa_type=sa.String(255))
    status: UserStatus = Field(
        default=UserStatus.ACTIVE, sa_type=enum_column(UserStatus), index=True
    )
    suspended_until: datetime | None = time_field()
    suspension_reason: str | None = Field(default=None, sa_type=sa.String(500))
    suspended_by: str | None = Field(default=None, sa_type=sa.String(64))
    blocked_at: datetime | None = time_field()
    block_reason: str | None = Field(default=None, sa_type=sa.String(500))
    is_staff: bool = Field(default=False)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    last_seen_at: datetime | None = time_field()
    deleted_at: datetime | None = time_field()

    __table_args__ = (sa.Index("ix_users_created_at_id", "created_at", "id"),)


class UserNote(SQLModel, table=True):
    __tablename__ = "user_notes"
    PREFIX: ClassVar[str] = "not"  # its public ids read `not_…`

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = foreign_key("users.id")
    author_id: str | None = Field(default=None, sa_type=sa.String(64))
    category: NoteCategory = Field(sa_type=enum_column(NoteCategory))
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()

    __table_args__ = (
        sa.Index("ix_user_notes_user_id_created_at", "user_id", "created_at"),
        {"info": {"kind": "notes"}},  # what a hard delete reports them as (app/kit/cascade.py)
    )


class FeedbackKind(enum.StrEnum):
    BUG = "BUG"
    IDEA = "IDEA"
    PRAISE = "PRAISE"
    OTHER = "OTHER"


class Feedback(SQLModel, table=True):
    __tablename__ = "user_feedback"
    PREFIX: ClassVar[str] = "fbk"  # its public ids read `fbk_…`

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = foreign_key("users.id")
    kind: FeedbackKind = Field(sa_type=enum_column(FeedbackKind), index=True)
    message: str = Field(sa_type=sa.Text)
    rating: int | None = Field(default=None)
    page: str | None = Field(default=None, sa_type=sa.String(500))
    created_at: datetime = created_field()

    __table_args__ = (
        sa.Index("ix_user_feedback_created_at", "created_at"),
        sa.CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        {"info": {"kind": "feedback"}},  # what a hard delete reports it as (app/kit/cascade.py)
    )


class PasswordResetToken(SQLModel, table=True):
    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = foreign_key("users.id")
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    created_by: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = time_field()


def effective_status(
    status: UserStatus, suspended_until: datetime | None, now: datetime
) -> UserStatus:
    """A suspension whose end has passed no longer counts: the user is ACTIVE again."""
    if status is UserStatus.SUSPENDED and suspended_until is not None and suspended_until <= now:
        return UserStatus.ACTIVE
    return status
