"""Customers (tenant accounts) and who belongs to them."""

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


class CustomerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class MemberRole(enum.StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


ADMIN_ROLES = frozenset({MemberRole.OWNER, MemberRole.ADMIN})


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    PREFIX: ClassVar[str] = "cus"  # its public ids read `cus_…`

    id: uuid.UUID = id_field()
    slug: str = Field(sa_type=sa.String(64), unique=True, index=True)
    name: str = Field(sa_type=sa.String(200))
    status: CustomerStatus = Field(
        default=CustomerStatus.ACTIVE, sa_type=enum_column(CustomerStatus), index=True
    )
    billing_email: str = Field(default="", sa_type=sa.String(320))
    plan_id: uuid.UUID | None = Field(
        default=None, foreign_key="plans.id", ondelete="SET NULL", index=True
    )
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    deactivated_at: datetime | None = time_field()
    deactivation_reason: str | None = Field(default=None, sa_type=sa.String(500))

    __table_args__ = (sa.Index("ix_customers_created_at_id", "created_at", "id"),)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    PREFIX: ClassVar[str] = "mem"  # its public ids read `mem_…`

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    user_id: uuid.UUID = foreign_key("users.id")
    role: MemberRole = Field(sa_type=enum_column(MemberRole))
    created_at: datetime = created_field()

    __table_args__ = (sa.UniqueConstraint("customer_id", "user_id"),)


class InvitationStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    PREFIX: ClassVar[str] = "inv"  # its public ids read `inv_…`

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    email: str = Field(sa_type=sa.String(320), index=True)
    role: MemberRole = Field(sa_type=enum_column(MemberRole))
    token_hash: str = Field(sa_type=sa.String(64), unique=True)
    invited_by_user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="CASCADE", index=True
    )
    invited_by: str | None = Field(default=None, sa_type=sa.String(64))
    created_at: datetime = created_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    accepted_at: datetime | None = time_field()
    accepted_by_user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL"
    )
    revoked_at: datetime | None = time_field()


class CustomerNote(SQLModel, table=True):
    __tablename__ = "customer_notes"
    PREFIX: ClassVar[str] = "cno"  # its public ids read `cno_…`

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    author_id: str | None = Field(default=None, sa_type=sa.String(64))
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()

    __table_args__ = (
        sa.Index("ix_customer_notes_customer_id_created_at", "customer_id", "created_at"),
    )
