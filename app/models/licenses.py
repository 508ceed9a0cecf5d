"""Licenses: offline-verifiable, Ed25519-signed keys for self-hosted customers, their machines,
and the signing keys (private halves encrypted at rest, never returned)."""

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
    created_field,
    enum_column,
    foreign_key,
    id_field,
    time_field,
)


class SigningKeyStatus(enum.StrEnum):
    """Derived from `retires_at` and the clock (`app/licenses/repository.py`), never stored."""

    ACTIVE = "ACTIVE"  # signs new licenses and files
    RETIRING = "RETIRING"  # replaced, still published so what it signed keeps verifying
    RETIRED = "RETIRED"  # no longer published


class LicenseStatus(enum.StrEnum):
    """Derived, in this order of precedence: REVOKED > SUSPENDED > EXPIRED > EXPIRING > ACTIVE."""

    ACTIVE = "ACTIVE"
    EXPIRING = "EXPIRING"  # expires within 30 days
    EXPIRED = "EXPIRED"
    SUSPENDED = "SUSPENDED"  # by an operator, or by billing (canceled or past due)
    REVOKED = "REVOKED"


class ActivationEvent(enum.StrEnum):
    ACTIVATED = "ACTIVATED"
    DEACTIVATED = "DEACTIVATED"


class SigningKey(SQLModel, table=True):
    __tablename__ = "signing_keys"
    PREFIX: ClassVar[str] = "sgk"

    id: uuid.UUID = id_field()
    # Null: the platform's own key; otherwise the key of one project.
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="projects.id", ondelete="CASCADE", index=True
    )
    kid: str = Field(sa_type=sa.String(64), unique=True)
    algorithm: str = Field(default="EdDSA", sa_type=sa.String(16))
    # The raw 32-byte Ed25519 public key, base64url without padding (the JWK's `x`).
    public_key: str = Field(sa_type=sa.String(64))
    # The raw private key, encrypted with the application's secret key (`app/kit/crypto.py`).
    private_key_encrypted: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()
    # Null while ACTIVE; a rotation sets it to the end of the overlap.
    retires_at: datetime | None = time_field()

    # Rows the generic tests write link to a project (the tests reach `Project.signingKeys`).
    __table_args__: Any = ({"info": {"example_links": ("project_id",)}},)


class License(SQLModel, table=True):
    __tablename__ = "licenses"
    PREFIX: ClassVar[str] = "lic"

    id: uuid.UUID = id_field()
    customer_id: uuid.UUID = foreign_key("customers.id", index=False)
    project_id: uuid.UUID | None = Field(
        default=None, foreign_key="projects.id", ondelete="SET NULL", index=True
    )
    signing_key_id: uuid.UUID = foreign_key("signing_keys.id", ondelete="RESTRICT")
    # SHA-256 of the whole key: the one column validation looks a license up by.
    key_hash: str = Field(sa_type=sa.String(64), unique=True)
    # The last characters of the key, kept so people can tell licenses apart.
    key_hint: str = Field(sa_type=sa.String(16))
    plan_code: str | None = Field(default=None, sa_type=sa.String(64))
    entitlements: list[str] = Field(default_factory=list, sa_type=JSONType)
    # 0: not bound to machines (validation asks for no fingerprint).
    max_machines: int = Field(default=1)
    # Free-form JSON of the operator's (`metadata` in GraphQL; the name is taken in SQLModel).
    license_metadata: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    issued_at: datetime = created_field()
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    expires_at: datetime | None = time_field()
    suspended_at: datetime | None = time_field()
    # Set by the billing coupling (a canceled or long past-due subscription); paying clears it.
    billing_suspended_at: datetime | None = time_field()
    revoked_at: datetime | None = time_field()
    revoked_reason: str | None = Field(default=None, sa_type=sa.String(500))

    __table_args__: Any = (
        sa.Index("ix_licenses_customer_id_created_at", "customer_id", "created_at"),
    )


class LicenseMachine(SQLModel, table=True):
    __tablename__ = "license_machines"
    PREFIX: ClassVar[str] = "mch"

    id: uuid.UUID = id_field()
    license_id: uuid.UUID = foreign_key("licenses.id", index=False)
    fingerprint: str = Field(sa_type=sa.String(255))
    hostname: str | None = Field(default=None, sa_type=sa.String(255))
    platform: str | None = Field(default=None, sa_type=sa.String(100))
    activated_at: datetime = created_field()
    last_heartbeat_at: datetime = created_field()
    # The last heartbeat plus the window then in force: alive until this time passes.
    heartbeat_due_at: datetime = created_field()
    deactivated_at: datetime | None = time_field()

    __table_args__: Any = (sa.UniqueConstraint("license_id", "fingerprint"),)


class LicenseActivation(SQLModel, table=True):
    """The history of a license's machines: each activation and deactivation."""

    __tablename__ = "license_activations"
    PREFIX: ClassVar[str] = "lac"

    id: uuid.UUID = id_field()
    license_id: uuid.UUID = foreign_key("licenses.id")
    fingerprint: str = Field(sa_type=sa.String(255))
    hostname: str | None = Field(default=None, sa_type=sa.String(255))
    event: ActivationEvent = Field(sa_type=enum_column(ActivationEvent))
    reason: str | None = Field(default=None, sa_type=sa.String(200))
    created_at: datetime = created_field()


class LicenseBillingState(SQLModel, table=True):
    """Since when a customer's subscription has been past due, as the licenses saw it: the
    grace period before its licenses are suspended runs from here."""

    __tablename__ = "license_billing_states"

    customer_id: uuid.UUID = Field(primary_key=True, foreign_key="customers.id", ondelete="CASCADE")
    past_due_since: datetime | None = time_field()
    updated_at: datetime = created_field()


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


SIGNING_KEYS = _table(SigningKey)
LICENSES = _table(License)
LICENSE_MACHINES = _table(LicenseMachine)
LICENSE_ACTIVATIONS = _table(LicenseActivation)
LICENSE_BILLING_STATES = _table(LicenseBillingState)
