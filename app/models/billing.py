"""Plans (the full billing model grows here: subscriptions, invoices, coupons)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import SQLModel, created_field, enum_column, id_field, time_field


class PlanInterval(enum.StrEnum):
    MONTH = "MONTH"
    YEAR = "YEAR"


class Plan(SQLModel, table=True):
    __tablename__ = "plans"
    PREFIX: ClassVar[str] = "pln"  # its public ids read `pln_…`

    id: uuid.UUID = id_field()
    code: str = Field(sa_type=sa.String(64), unique=True, index=True)
    name: str = Field(sa_type=sa.String(200))
    description: str = Field(default="", sa_type=sa.Text)
    price_amount: int = Field(default=0, sa_type=sa.BigInteger)
    currency: str = Field(default="USD", sa_type=sa.String(3))
    interval: PlanInterval = Field(default=PlanInterval.MONTH, sa_type=enum_column(PlanInterval))
    monthly_quota: int | None = Field(default=None, sa_type=sa.BigInteger)
    rate_per_second: int | None = Field(default=None)
    seats: int | None = Field(default=None)
    sla: str | None = Field(default=None, sa_type=sa.String(100))
    version: int = Field(default=1)
    archived_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
