"""A customer's projects: what API keys, signing keys and usage belong to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import SQLModel, created_field, foreign_key, id_field


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    PREFIX: ClassVar[str] = "prj"  # its public ids read `prj_…`

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id")
    name: str = Field(sa_type=sa.String(200))
    slug: str = Field(sa_type=sa.String(64))
    created_at: datetime = created_field()
    updated_at: datetime = created_field()

    __table_args__ = (sa.UniqueConstraint("customer_id", "slug"),)
