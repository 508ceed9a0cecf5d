"""Runtime settings (an allowlist of typed keys, changed without a restart) and the
operational alerts raised when a watched figure crosses its threshold."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import JSONType, SQLModel, created_field, enum_column, id_field, time_field


class RuntimeSetting(SQLModel, table=True):
    """One key of the allowlist (`app/runtime_settings/catalog.py`) set at runtime; a key
    without a row has its default (the environment's `Settings`, else the catalogue's)."""

    __tablename__ = "runtime_settings"

    key: str = Field(sa_type=sa.String(64), primary_key=True)
    # Wrapped as {"v": value}: a JSON null and a missing value must not be confused.
    value: dict[str, Any] = Field(sa_type=JSONType)
    updated_at: datetime = created_field()
    # The actor's label (`master_key:…`, `user:…`), as the audit trail writes it.
    updated_by: str | None = Field(default=None, sa_type=sa.String(200))


class AlertStatus(enum.StrEnum):
    FIRING = "FIRING"
    RESOLVED = "RESOLVED"


class OpsAlert(SQLModel, table=True):
    """One crossing of a threshold: FIRING from the tick that saw it until the tick that saw
    the figure back under it (RESOLVED). At most one FIRING alert per kind exists."""

    __tablename__ = "ops_alerts"
    PREFIX: ClassVar[str] = "alr"

    id: uuid.UUID = id_field()
    kind: str = Field(sa_type=sa.String(64), index=True)
    message: str = Field(sa_type=sa.String(500))
    value: float
    threshold: float
    status: AlertStatus = Field(
        default=AlertStatus.FIRING, sa_type=enum_column(AlertStatus), index=True
    )
    fired_at: datetime = created_field()
    resolved_at: datetime | None = time_field()
    # Whether the alert webhook answered 2xx to the firing post (false: unset URL, refused).
    delivered: bool = Field(default=False)
    delivery_error: str | None = Field(default=None, sa_type=sa.String(500))

    __table_args__ = (
        # The uniqueness of "one FIRING alert per kind" is what makes two processes' ticks
        # fire once: the loser's insert fails and it posts nothing.
        sa.Index(
            "uq_ops_alerts_firing_kind",
            "kind",
            unique=True,
            sqlite_where=sa.text("status = 'FIRING'"),
            postgresql_where=sa.text("status = 'FIRING'"),
        ),
        sa.Index("ix_ops_alerts_fired_at", "fired_at"),
    )
