"""Credentials: master keys, login sessions and failed login attempts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import (
    SQLModel,
    UTCDateTime,
    created_field,
    enum_column,
    foreign_key,
    id_field,
    time_field,
)


class MasterKey(SQLModel, table=True):
    __tablename__ = "master_keys"
    PREFIX: ClassVar[str] = "mky"  # its public ids read `mky_…`

    id: uuid.UUID = id_field()
    name: str = Field(sa_type=sa.String(100))
    prefix: str = Field(sa_type=sa.String(16))
    key_hash: str = Field(sa_type=sa.String(64), unique=True)
    created_by: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()
    last_used_at: datetime | None = time_field()
    revoked_at: datetime | None = time_field()


class SessionKind(enum.StrEnum):
    LOGIN = "LOGIN"
    IMPERSONATION = "IMPERSONATION"


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_sessions"
    PREFIX: ClassVar[str] = "ses"  # its public ids read `ses_…`
    # What a hard delete reports these rows as (see app/kit/cascade.py).
    __table_args__ = {"info": {"kind": "sessions"}}

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = foreign_key("users.id")
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    kind: SessionKind = Field(default=SessionKind.LOGIN, sa_type=enum_column(SessionKind))
    impersonator_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="CASCADE"
    )
    impersonator_key_id: uuid.UUID | None = Field(
        default=None, foreign_key="master_keys.id", ondelete="CASCADE"
    )
    read_only: bool = Field(default=False)
    client_addr: str | None = Field(default=None, sa_type=sa.String(64))
    user_agent: str | None = Field(default=None, sa_type=sa.String(400))
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = created_field()
    revoked_at: datetime | None = time_field()


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failures"

    id: uuid.UUID = id_field()
    email: str = Field(sa_type=sa.String(320))
    client_addr: str = Field(sa_type=sa.String(64))
    created_at: datetime = created_field()

    __table_args__ = (
        sa.Index("ix_login_failures_email_created_at", "email", "created_at"),
        sa.Index("ix_login_failures_client_addr_created_at", "client_addr", "created_at"),
    )
