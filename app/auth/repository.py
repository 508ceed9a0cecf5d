"""SQL for credentials: lookups by hash only, scope memberships, failed-login counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Reader
from app.kit.readmodel import Computed, ReadModel, owned_by, registry, row_filter, staff_only
from app.kit.scope import RowScope
from app.models import (
    ADMIN_ROLES,
    CustomerStatus,
    LoginFailure,
    LoginSession,
    MasterKey,
    User,
)
from app.models.base import UTCDateTime
from app.models.tables import (
    CUSTOMERS,
    LOGIN_FAILURES,
    LOGIN_SESSIONS,
    MASTER_KEYS,
    MEMBERSHIPS,
    USERS,
)

SESSIONS = LOGIN_SESSIONS
FAILURES = LOGIN_FAILURES


def _at(value: datetime) -> sa.BindParameter[datetime]:
    return sa.literal(value, UTCDateTime())


MASTER_KEY_MODEL = registry.register(
    ReadModel(
        name="MasterKey",
        table=MASTER_KEYS,
        prefix=MasterKey.PREFIX,
        fields={
            "name": "name",
            "prefix": "prefix",
            "createdAt": "created_at",
            "lastUsedAt": "last_used_at",
            "revokedAt": "revoked_at",
            "createdBy": "created_by",
            "active": Computed(
                lambda: sa.type_coerce(MASTER_KEYS.c.revoked_at.is_(None), sa.Boolean())
            ),
        },
        scope=staff_only,
        filters={
            "active": row_filter(
                lambda active: (
                    MASTER_KEYS.c.revoked_at.is_(None)
                    if active
                    else MASTER_KEYS.c.revoked_at.isnot(None)
                )
            ),
        },
        orderings={"CREATED_AT": MASTER_KEYS.c.created_at},
    )
)


SESSION_MODEL = registry.register(
    ReadModel(
        name="Session",
        table=LOGIN_SESSIONS,
        prefix=LoginSession.PREFIX,
        fields={
            "kind": "kind",
            "readOnly": "read_only",
            "createdAt": "created_at",
            "lastSeenAt": "last_seen_at",
            "expiresAt": "expires_at",
            "revokedAt": "revoked_at",
            "clientAddr": "client_addr",
            "userAgent": "user_agent",
        },
        # A person reads their own sessions (`me.session`, `node`); only staff see others'.
        scope=owned_by(LOGIN_SESSIONS.c.user_id),
        filters={"user_id": row_filter(lambda user_id: LOGIN_SESSIONS.c.user_id == user_id)},
        orderings={"CREATED_AT": LOGIN_SESSIONS.c.created_at},
    )
)


def live_session_condition(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(SESSIONS.c.revoked_at.is_(None), SESSIONS.c.expires_at > _at(now))


async def master_key_by_hash(reader: Reader, key_hash: str) -> sa.Row[Any] | None:
    rows = await reader.all(
        sa.select(MASTER_KEYS.c.id, MASTER_KEYS.c.last_used_at).where(
            MASTER_KEYS.c.key_hash == key_hash, MASTER_KEYS.c.revoked_at.is_(None)
        )
    )
    return rows[0] if rows else None


async def session_by_hash(reader: Reader, token_hash: str, now: datetime) -> sa.Row[Any] | None:
    """A live session (not revoked, not past its absolute expiry) joined with its user and,
    for an impersonation, with whoever started it (a staff user or a master key)."""
    impersonator = USERS.alias("impersonator")
    rows = await reader.all(
        sa.select(
            SESSIONS.c.id,
            SESSIONS.c.user_id,
            SESSIONS.c.kind,
            SESSIONS.c.read_only,
            SESSIONS.c.impersonator_id,
            SESSIONS.c.impersonator_key_id,
            SESSIONS.c.last_seen_at,
            USERS.c.email,
            USERS.c.is_staff,
            USERS.c.status,
            USERS.c.suspended_until,
            impersonator.c.email.label("impersonator_email"),
            impersonator.c.is_staff.label("impersonator_is_staff"),
            impersonator.c.status.label("impersonator_status"),
            impersonator.c.suspended_until.label("impersonator_suspended_until"),
            MASTER_KEYS.c.revoked_at.label("impersonator_key_revoked_at"),
        )
        .join(USERS, USERS.c.id == SESSIONS.c.user_id)
        .outerjoin(impersonator, impersonator.c.id == SESSIONS.c.impersonator_id)
        .outerjoin(MASTER_KEYS, MASTER_KEYS.c.id == SESSIONS.c.impersonator_key_id)
        .where(
            SESSIONS.c.token_hash == token_hash,
            SESSIONS.c.revoked_at.is_(None),
            SESSIONS.c.expires_at > _at(now),
        )
    )
    return rows[0] if rows else None


async def administered_customer_ids(reader: Reader, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Active customers where the user is an OWNER or ADMIN: a session admin's row scope."""
    rows = await reader.all(
        sa.select(MEMBERSHIPS.c.customer_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == MEMBERSHIPS.c.customer_id)
        .where(
            MEMBERSHIPS.c.user_id == user_id,
            MEMBERSHIPS.c.role.in_(sorted(ADMIN_ROLES)),
            CUSTOMERS.c.status == CustomerStatus.ACTIVE,
        )
    )
    return frozenset(row.customer_id for row in rows)


async def touch_master_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(MASTER_KEYS).where(MASTER_KEYS.c.id == key_id).values(last_used_at=now)
    )


async def touch_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(SESSIONS).where(SESSIONS.c.id == session_id).values(last_seen_at=now)
    )
    await session.execute(
        sa.update(USERS)
        .where(
            USERS.c.id
            == sa.select(SESSIONS.c.user_id).where(SESSIONS.c.id == session_id).scalar_subquery()
        )
        .values(last_seen_at=now)
    )


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(sa.select(User).where(USERS.c.email == email))
    return result.scalar_one_or_none()


async def get_master_key(session: AsyncSession, key_id: uuid.UUID) -> MasterKey | None:
    return await session.get(MasterKey, key_id)


async def session_in_scope(
    session: AsyncSession, session_id: uuid.UUID, scope: RowScope
) -> LoginSession | None:
    """A login session the caller may reach: their own, or anyone's for a master."""
    statement = sa.select(LoginSession).where(
        SESSIONS.c.id == session_id, *SESSION_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def count_recent_failures(
    session: AsyncSession, email: str, client_addr: str, since: datetime
) -> tuple[int, int]:
    """Failed logins since `since`: (for this email, from this client address)."""
    by_email = (
        sa.select(sa.func.count())
        .select_from(FAILURES)
        .where(FAILURES.c.email == email, FAILURES.c.created_at > _at(since))
        .scalar_subquery()
    )
    by_client = (
        sa.select(sa.func.count())
        .select_from(FAILURES)
        .where(FAILURES.c.client_addr == client_addr, FAILURES.c.created_at > _at(since))
        .scalar_subquery()
    )
    row = (await session.execute(sa.select(by_email, by_client))).one()
    return int(row[0]), int(row[1])


async def add_failure(session: AsyncSession, email: str, client_addr: str, now: datetime) -> None:
    session.add(LoginFailure(email=email, client_addr=client_addr, created_at=now))
    await session.flush()


async def master_key_row(reader: Reader, key_id: uuid.UUID) -> sa.Row[Any] | None:
    """A master key regardless of scope: only for the key behind the caller's impersonation."""
    rows = await reader.all(
        sa.select(MASTER_KEYS.c.id, MASTER_KEYS.c.name).where(MASTER_KEYS.c.id == key_id)
    )
    return rows[0] if rows else None


async def count_active_master_keys(session: AsyncSession) -> int:
    result = await session.execute(
        sa.select(sa.func.count())
        .select_from(MASTER_KEYS)
        .where(MASTER_KEYS.c.revoked_at.is_(None))
    )
    return int(result.scalar_one())


async def list_master_keys(session: AsyncSession) -> list[MasterKey]:
    result = await session.execute(sa.select(MasterKey).order_by(MASTER_KEYS.c.created_at))
    return list(result.scalars())
