"""Stored log entries: the INFO-and-above lines of every process, written behind by a
background writer (`app/logs/pipeline.py`), queried by `logs` and grouped by `errorGroups`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import JSONType, SQLModel, UTCDateTime, id_field


class LogEntry(SQLModel, table=True):
    __tablename__ = "logs"
    PREFIX: ClassVar[str] = "log"

    id: uuid.UUID = id_field()
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    level: str = Field(sa_type=sa.String(10))
    # The numeric level (20 INFO, 40 ERROR): "this level and above" is one comparison.
    level_no: int = Field(sa_type=sa.SmallInteger)
    logger: str = Field(sa_type=sa.String(200))
    message: str = Field(sa_type=sa.Text)
    request_id: str | None = Field(default=None, sa_type=sa.String(64), index=True)
    operation_name: str | None = Field(default=None, sa_type=sa.String(100))
    principal_id: str | None = Field(default=None, sa_type=sa.String(64))
    principal_kind: str | None = Field(default=None, sa_type=sa.String(24))
    duration_ms: float | None = Field(default=None)
    # The record's other structured fields (status, path, …), as written on stdout.
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # Set on entries carrying an exception: what `errorGroups` groups by.
    error_type: str | None = Field(default=None, sa_type=sa.String(200))
    error_place: str | None = Field(default=None, sa_type=sa.String(300))
    fingerprint: str | None = Field(default=None, sa_type=sa.String(32))
    stack: str | None = Field(default=None, sa_type=sa.Text)

    __table_args__ = (sa.Index("ix_logs_fingerprint_created_at", "fingerprint", "created_at"),)
