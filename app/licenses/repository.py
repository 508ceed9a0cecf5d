"""SQL for licenses: the read models, the derived statuses, the scoped lookups of mutations
and the one indexed read of validation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import (
    Computed,
    PublicId,
    ReadModel,
    RelationKind,
    ScopeFilter,
    many,
    one,
    registry,
    row_filter,
    scoped_by,
    staff_only,
    within,
)
from app.kit.scope import RowScope
from app.models.base import UTCDateTime, enum_column
from app.models.licenses import (
    LICENSE_ACTIVATIONS,
    LICENSE_MACHINES,
    LICENSES,
    SIGNING_KEYS,
    License,
    LicenseActivation,
    LicenseMachine,
    LicenseStatus,
    SigningKey,
    SigningKeyStatus,
)
from app.models.projects import Project

EXPIRING_WITHIN = timedelta(days=30)


def _now() -> sa.ColumnElement[datetime]:
    return sa.literal(clock.now(), UTCDateTime())


def _at(value: datetime) -> sa.ColumnElement[datetime]:
    return sa.literal(value, UTCDateTime())


# ---------------------------------------------------------------- signing keys


def signing_key_status(retires_at: datetime | None, now: datetime) -> SigningKeyStatus:
    if retires_at is None:
        return SigningKeyStatus.ACTIVE
    return SigningKeyStatus.RETIRING if retires_at > now else SigningKeyStatus.RETIRED


def signing_key_condition(status: SigningKeyStatus) -> sa.ColumnElement[bool]:
    retires = SIGNING_KEYS.c.retires_at
    if status is SigningKeyStatus.ACTIVE:
        return retires.is_(None)
    if status is SigningKeyStatus.RETIRING:
        return sa.and_(retires.isnot(None), retires > _now())
    return sa.and_(retires.isnot(None), retires <= _now())


def _signing_key_status() -> sa.ColumnElement[SigningKeyStatus]:
    case = sa.case(
        (signing_key_condition(SigningKeyStatus.ACTIVE), sa.literal("ACTIVE")),
        (signing_key_condition(SigningKeyStatus.RETIRING), sa.literal("RETIRING")),
        else_=sa.literal("RETIRED"),
    )
    return sa.type_coerce(case, cast(Any, enum_column(SigningKeyStatus)))


SIGNING_KEY_MODEL = registry.register(
    ReadModel(
        name="SigningKey",
        table=SIGNING_KEYS,
        prefix=SigningKey.PREFIX,
        fields={
            "kid": "kid",
            "algorithm": "algorithm",
            "publicKey": "public_key",
            "status": Computed(_signing_key_status),
            "createdAt": "created_at",
            "retiresAt": "retires_at",
            "projectId": PublicId(Project.PREFIX, "project_id"),
        },
        scope=staff_only,
        filters={
            "project_id": row_filter(lambda project_id: SIGNING_KEYS.c.project_id == project_id),
            "status": row_filter(signing_key_condition),
        },
        orderings={"CREATED_AT": SIGNING_KEYS.c.created_at},
    )
)


def published_keys_statement() -> sa.Select[Any]:
    """Every key not yet RETIRED: what the JWKS publishes and validation accepts."""
    return (
        sa.select(SIGNING_KEYS.c.kid, SIGNING_KEYS.c.public_key, SIGNING_KEYS.c.retires_at)
        .where(sa.or_(SIGNING_KEYS.c.retires_at.is_(None), SIGNING_KEYS.c.retires_at > _now()))
        .order_by(SIGNING_KEYS.c.created_at, SIGNING_KEYS.c.id)
    )


# ---------------------------------------------------------------- licenses


def status_condition(status: LicenseStatus) -> sa.ColumnElement[bool]:
    """Rows whose derived status is `status`, by precedence: REVOKED > SUSPENDED > EXPIRED >
    EXPIRING (within 30 days) > ACTIVE."""
    c = LICENSES.c
    now = clock.now()
    revoked = c.revoked_at.isnot(None)
    suspended = sa.or_(c.suspended_at.isnot(None), c.billing_suspended_at.isnot(None))
    expired = sa.and_(c.expires_at.isnot(None), c.expires_at <= _at(now))
    expiring = sa.and_(c.expires_at.isnot(None), c.expires_at <= _at(now + EXPIRING_WITHIN))
    ladder = [
        (LicenseStatus.REVOKED, revoked),
        (LicenseStatus.SUSPENDED, suspended),
        (LicenseStatus.EXPIRED, expired),
        (LicenseStatus.EXPIRING, expiring),
        (LicenseStatus.ACTIVE, sa.true()),
    ]
    earlier: list[sa.ColumnElement[bool]] = []
    for name, condition in ladder:
        if name is status:
            return sa.and_(condition, *[sa.not_(e) for e in earlier])
        earlier.append(condition)
    raise AssertionError(status)  # pragma: no cover


def status_of(row: Any, now: datetime) -> LicenseStatus:
    """The same rule as `status_condition`, for one row already loaded."""
    if row.revoked_at is not None:
        return LicenseStatus.REVOKED
    if row.suspended_at is not None or row.billing_suspended_at is not None:
        return LicenseStatus.SUSPENDED
    if row.expires_at is not None and row.expires_at <= now:
        return LicenseStatus.EXPIRED
    if row.expires_at is not None and row.expires_at <= now + EXPIRING_WITHIN:
        return LicenseStatus.EXPIRING
    return LicenseStatus.ACTIVE


def _status() -> sa.ColumnElement[LicenseStatus]:
    order = (
        LicenseStatus.REVOKED,
        LicenseStatus.SUSPENDED,
        LicenseStatus.EXPIRED,
        LicenseStatus.EXPIRING,
    )
    case = sa.case(
        *[(status_condition(status), sa.literal(status.value)) for status in order],
        else_=sa.literal(LicenseStatus.ACTIVE.value),
    )
    return sa.type_coerce(case, cast(Any, enum_column(LicenseStatus)))


def _expiring_within(days: int) -> sa.ColumnElement[bool]:
    now = clock.now()
    return sa.and_(
        LICENSES.c.expires_at.isnot(None),
        LICENSES.c.expires_at > _at(now),
        LICENSES.c.expires_at <= _at(now + timedelta(days=days)),
    )


def _search(text: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        LICENSES.c.key_hint.contains(text, autoescape=True),
        sa.func.lower(sa.func.coalesce(LICENSES.c.plan_code, "")).contains(
            text.lower(), autoescape=True
        ),
    )


def machine_alive() -> sa.ColumnElement[bool]:
    return sa.and_(
        LICENSE_MACHINES.c.deactivated_at.is_(None), LICENSE_MACHINES.c.heartbeat_due_at > _now()
    )


def _of_licenses_in_scope(column: sa.ColumnElement[Any]) -> ScopeFilter:
    """Rows of a license the caller may see (machines and activations have no customer)."""

    def scope(row_scope: RowScope) -> sa.ColumnElement[bool] | None:
        conditions = within(LICENSES.c.customer_id, row_scope)
        if not conditions:
            return None
        return column.in_(sa.select(LICENSES.c.id).where(*conditions))

    return scope


LICENSE_MODEL = registry.register(
    ReadModel(
        name="License",
        table=LICENSES,
        prefix=License.PREFIX,
        fields={
            "keyHint": "key_hint",
            "status": Computed(_status),
            "planCode": "plan_code",
            "entitlements": "entitlements",
            "maxMachines": "max_machines",
            "metadata": "license_metadata",
            "issuedAt": "issued_at",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "expiresAt": "expires_at",
            "suspendedAt": "suspended_at",
            "billingSuspendedAt": "billing_suspended_at",
            "revokedAt": "revoked_at",
            "revokedReason": "revoked_reason",
            "signingKeyId": PublicId(SigningKey.PREFIX, "signing_key_id"),
        },
        scope=scoped_by(LICENSES.c.customer_id),
        relations=(
            one("customer", "Customer", "customer_id"),
            one("project", "Project", "project_id"),
            many("machines", "LicenseMachine", "license_id", RelationKind.LIST),
            many("activations", "LicenseActivation", "license_id", RelationKind.LIST),
        ),
        filters={
            "customer_id": row_filter(lambda customer_id: LICENSES.c.customer_id == customer_id),
            "status": row_filter(status_condition),
            "expiring_within_days": row_filter(_expiring_within),
            "search": row_filter(_search),
            "key_hash": row_filter(lambda digest: LICENSES.c.key_hash == digest),
        },
        orderings={"CREATED_AT": LICENSES.c.created_at, "EXPIRES_AT": LICENSES.c.expires_at},
    )
)

MACHINE_MODEL = registry.register(
    ReadModel(
        name="LicenseMachine",
        table=LICENSE_MACHINES,
        prefix=LicenseMachine.PREFIX,
        fields={
            "fingerprint": "fingerprint",
            "hostname": "hostname",
            "platform": "platform",
            "activatedAt": "activated_at",
            "lastHeartbeatAt": "last_heartbeat_at",
            "deactivatedAt": "deactivated_at",
            "alive": Computed(machine_alive),
            "licenseId": PublicId(License.PREFIX, "license_id"),
        },
        scope=_of_licenses_in_scope(LICENSE_MACHINES.c.license_id),
        orderings={"CREATED_AT": LICENSE_MACHINES.c.activated_at},
    )
)

ACTIVATION_MODEL = registry.register(
    ReadModel(
        name="LicenseActivation",
        table=LICENSE_ACTIVATIONS,
        prefix=LicenseActivation.PREFIX,
        fields={
            "fingerprint": "fingerprint",
            "hostname": "hostname",
            "event": "event",
            "reason": "reason",
            "createdAt": "created_at",
        },
        scope=_of_licenses_in_scope(LICENSE_ACTIVATIONS.c.license_id),
        orderings={"CREATED_AT": LICENSE_ACTIVATIONS.c.created_at},
    )
)


async def license_for_update(
    session: AsyncSession, license_id: uuid.UUID, scope: RowScope
) -> License | None:
    statement = (
        sa.select(License)
        .where(LICENSES.c.id == license_id, *LICENSE_MODEL.conditions(scope))
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def licenses_of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[License]:
    statement = (
        sa.select(License)
        .where(LICENSES.c.customer_id == customer_id, LICENSES.c.revoked_at.is_(None))
        .order_by(LICENSES.c.created_at, LICENSES.c.id)
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def machines_of(session: AsyncSession, license_id: uuid.UUID) -> list[LicenseMachine]:
    statement = (
        sa.select(LicenseMachine)
        .where(LICENSE_MACHINES.c.license_id == license_id)
        .order_by(LICENSE_MACHINES.c.activated_at, LICENSE_MACHINES.c.id)
    )
    return list((await session.execute(statement)).scalars())


async def revoked_licenses(session: AsyncSession) -> list[Any]:
    statement = (
        sa.select(LICENSES.c.id, LICENSES.c.revoked_at)
        .where(LICENSES.c.revoked_at.isnot(None))
        .order_by(LICENSES.c.revoked_at, LICENSES.c.id)
    )
    return list((await session.execute(statement)).all())


VALIDATE_COLUMNS = (
    LICENSES.c.id,
    LICENSES.c.customer_id,
    LICENSES.c.signing_key_id,
    LICENSES.c.max_machines,
    LICENSES.c.entitlements,
    LICENSES.c.expires_at,
    LICENSES.c.suspended_at,
    LICENSES.c.billing_suspended_at,
    LICENSES.c.revoked_at,
)
# One indexed read by the unique hash: everything validation needs lives on the license's row.
VALIDATE_STATEMENT = sa.select(*VALIDATE_COLUMNS).where(LICENSES.c.key_hash == sa.bindparam("h"))
ALIVE_MACHINES_STATEMENT = sa.select(LICENSE_MACHINES.c.fingerprint).where(
    LICENSE_MACHINES.c.license_id == sa.bindparam("license"),
    LICENSE_MACHINES.c.deactivated_at.is_(None),
    LICENSE_MACHINES.c.heartbeat_due_at > sa.bindparam("now", type_=UTCDateTime()),
)
