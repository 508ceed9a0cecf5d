"""SQL for API keys: the read model, the scoped lookups of mutations, the verification read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import Computed, PublicId, ReadModel, one, registry, row_filter, scoped_by
from app.kit.scope import RowScope
from app.models.base import UTCDateTime, enum_column
from app.models.keys import API_KEYS, ApiKey, KeyStatus
from app.models.tables import CUSTOMERS


def _now() -> sa.ColumnElement[datetime]:
    return sa.literal(clock.now(), UTCDateTime())


def status_condition(status: KeyStatus) -> sa.ColumnElement[bool]:
    """Rows whose derived status is `status`: revoked once `revoked_at` has passed (a rotated
    key stays ACTIVE through its grace period), expired once `expires_at` has."""
    now = _now()
    revoked = sa.and_(API_KEYS.c.revoked_at.isnot(None), API_KEYS.c.revoked_at <= now)
    expired = sa.and_(API_KEYS.c.expires_at.isnot(None), API_KEYS.c.expires_at <= now)
    if status is KeyStatus.REVOKED:
        return revoked
    if status is KeyStatus.EXPIRED:
        return sa.and_(sa.not_(revoked), expired)
    return sa.and_(sa.not_(revoked), sa.not_(expired))


def status_expression() -> sa.ColumnElement[KeyStatus]:
    case = sa.case(
        (status_condition(KeyStatus.REVOKED), sa.literal(KeyStatus.REVOKED.value)),
        (status_condition(KeyStatus.EXPIRED), sa.literal(KeyStatus.EXPIRED.value)),
        else_=sa.literal(KeyStatus.ACTIVE.value),
    )
    return sa.type_coerce(case, cast(Any, enum_column(KeyStatus)))


def status_of(key: Any, now: datetime) -> KeyStatus:
    """The same rule as `status_condition`, for one row already loaded."""
    if key.revoked_at is not None and key.revoked_at <= now:
        return KeyStatus.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


def _search(text: str) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.func.lower(API_KEYS.c.name).contains(text.lower(), autoescape=True),
        API_KEYS.c.start.contains(text, autoescape=True),
    )


API_KEY_MODEL = registry.register(
    ReadModel(
        name="ApiKey",
        table=API_KEYS,
        prefix=ApiKey.PREFIX,
        fields={
            "name": "name",
            "start": "start",
            "environment": "environment",
            "scopes": "scopes",
            "status": Computed(status_expression),
            "enabled": "enabled",
            "createdBy": "created_by",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "lastUsedAt": "last_used_at",
            "expiresAt": "expires_at",
            "revokedAt": "revoked_at",
            "revokedReason": "revoked_reason",
            "replacedById": PublicId(ApiKey.PREFIX, "replaced_by_id"),
            "planCode": "plan_code",
            "ratePerSecond": "rate_per_second",
            "monthlyQuota": "monthly_quota",
        },
        scope=scoped_by(API_KEYS.c.customer_id),
        relations=(
            one("customer", "Customer", "customer_id"),
            one("project", "Project", "project_id"),
        ),
        filters={
            "customer_id": row_filter(lambda customer_id: API_KEYS.c.customer_id == customer_id),
            "project_id": row_filter(lambda project_id: API_KEYS.c.project_id == project_id),
            "status": row_filter(status_condition),
            "search": row_filter(_search),
        },
        orderings={"CREATED_AT": API_KEYS.c.created_at, "NAME": API_KEYS.c.name},
    )
)


async def key_for_update(
    session: AsyncSession, key_id: uuid.UUID, scope: RowScope
) -> ApiKey | None:
    statement = (
        sa.select(ApiKey)
        .where(API_KEYS.c.id == key_id, *API_KEY_MODEL.conditions(scope))
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def keys_of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[ApiKey]:
    """Every key of a customer, locked, in a stable order (the fan-out walks them)."""
    statement = (
        sa.select(ApiKey)
        .where(API_KEYS.c.customer_id == customer_id)
        .order_by(API_KEYS.c.created_at, API_KEYS.c.id)
        .with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def customer_status(session: AsyncSession, customer_id: uuid.UUID) -> Any:
    return await session.scalar(sa.select(CUSTOMERS.c.status).where(CUSTOMERS.c.id == customer_id))


VERIFY_COLUMNS = (
    API_KEYS.c.id,
    API_KEYS.c.customer_id,
    API_KEYS.c.project_id,
    API_KEYS.c.scopes,
    API_KEYS.c.expires_at,
    API_KEYS.c.revoked_at,
    API_KEYS.c.enabled,
    API_KEYS.c.plan_code,
    API_KEYS.c.rate_per_second,
    API_KEYS.c.monthly_quota,
    API_KEYS.c.usage_exceeded_until,
)
# One indexed read by the unique hash: everything verification needs lives on the key's row.
VERIFY_STATEMENT = sa.select(*VERIFY_COLUMNS).where(API_KEYS.c.key_hash == sa.bindparam("h"))


async def touch(session: AsyncSession, last_used: Mapping[uuid.UUID, datetime]) -> None:
    """Write buffered `last_used_at` values in one batch, never moving one backwards."""
    if not last_used:
        return
    stamp = sa.bindparam("used", type_=UTCDateTime())
    statement = (
        sa.update(API_KEYS)
        .where(
            API_KEYS.c.id == sa.bindparam("key"),
            sa.or_(API_KEYS.c.last_used_at.is_(None), API_KEYS.c.last_used_at < stamp),
        )
        .values(last_used_at=stamp)
    )
    rows = [{"key": key_id, "used": used_at} for key_id, used_at in last_used.items()]
    await session.execute(statement, rows)


async def count_active(session: AsyncSession, column: str, owners: Iterable[uuid.UUID]) -> int:
    statement = sa.select(sa.func.count()).where(
        API_KEYS.c[column].in_(list(owners)), status_condition(KeyStatus.ACTIVE)
    )
    return int((await session.execute(statement)).scalar_one())


async def mark_usage_exceeded(
    session: AsyncSession, customer_id: uuid.UUID, until: datetime | None
) -> None:
    """Every key of the customer answers USAGE_EXCEEDED until `until` (None: no longer)."""
    await session.execute(
        sa.update(API_KEYS)
        .where(API_KEYS.c.customer_id == customer_id)
        .values(usage_exceeded_until=until)
    )
