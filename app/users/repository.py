"""SQL for users and their notes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.repository import live_session_condition
from app.db import Reader
from app.kit import clock
from app.kit.cascade import cascade_counts
from app.kit.readmodel import (
    Composite,
    Computed,
    ReadModel,
    RelationKind,
    many,
    one,
    registry,
    row_filter,
    staff_only,
    within,
)
from app.kit.scope import RowScope
from app.kit.sql import utc_date
from app.models import MemberRole, PasswordResetToken, User, UserNote, UserStatus
from app.models.base import UTCDateTime
from app.models.tables import (
    CUSTOMERS,
    FEEDBACK,
    LOGIN_SESSIONS,
    MEMBERSHIPS,
    PASSWORD_RESET_TOKENS,
    PLANS,
    USER_NOTES,
    USERS,
)
from app.models.users import Feedback

NOTES = USER_NOTES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(value: datetime) -> sa.BindParameter[datetime]:
    return sa.literal(value, UTCDateTime())


def _membership_in_scope(
    scope: RowScope, *conditions: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """The user has a membership meeting `conditions` in one of the caller's customers.

    Whatever looks at users through their memberships goes through here, so it never sees a
    membership (or a customer) outside the caller's scope.
    """
    return sa.exists().where(
        MEMBERSHIPS.c.user_id == USERS.c.id,
        *within(MEMBERSHIPS.c.customer_id, scope),
        *conditions,
    )


def _user_scope(scope: RowScope) -> sa.ColumnElement[bool] | None:
    """A session admin sees the users who are members of one of their customers."""
    if scope.customer_ids is None:
        return None
    return _membership_in_scope(scope)


def status_condition(status: UserStatus) -> sa.ColumnElement[bool]:
    """Rows whose effective status is `status` (a lapsed suspension counts as ACTIVE)."""
    lapsed = _lapsed(_at(clock.now()))
    if status is UserStatus.ACTIVE:
        return sa.or_(USERS.c.status == UserStatus.ACTIVE, lapsed)
    if status is UserStatus.SUSPENDED:
        return sa.and_(USERS.c.status == UserStatus.SUSPENDED, sa.not_(lapsed))
    return USERS.c.status == status


def _plan_code(code: str, scope: RowScope) -> sa.ColumnElement[bool]:
    """Members of a customer on this plan; for a session admin, of one of their customers."""
    on_plan = sa.select(CUSTOMERS.c.id).join(PLANS, PLANS.c.id == CUSTOMERS.c.plan_id)
    return _membership_in_scope(
        scope, MEMBERSHIPS.c.customer_id.in_(on_plan.where(PLANS.c.code == code))
    )


def _customer(customer_id: uuid.UUID, scope: RowScope) -> sa.ColumnElement[bool]:
    """Members of this customer: none at all when it lies outside the caller's scope."""
    return _membership_in_scope(scope, MEMBERSHIPS.c.customer_id == customer_id)


def _search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        USERS.c.email.contains(lowered, autoescape=True),
        sa.func.lower(USERS.c.name).contains(lowered, autoescape=True),
    )


def _lapsed(now: sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    return sa.and_(
        USERS.c.status == UserStatus.SUSPENDED,
        USERS.c.suspended_until.isnot(None),
        USERS.c.suspended_until <= now,
    )


def effective_status() -> sa.ColumnElement[UserStatus]:
    """The status a user reads as: a suspension whose end has passed reads ACTIVE."""
    case = sa.case(
        (_lapsed(_at(clock.now())), sa.literal(UserStatus.ACTIVE.value)), else_=USERS.c.status
    )
    return sa.type_coerce(case, USERS.c.status.type)


USER_MODEL = registry.register(
    ReadModel(
        name="User",
        table=USERS,
        prefix=User.PREFIX,
        fields={
            "email": "email",
            "name": "name",
            "status": Computed(effective_status),
            "createdAt": "created_at",
            "lastSeenAt": "last_seen_at",
            "isStaff": "is_staff",
            "metadata": "profile",
            "suspension": Composite(
                {"reason": "suspension_reason", "until": "suspended_until", "by": "suspended_by"},
                when=lambda: effective_status() == UserStatus.SUSPENDED,
            ),
            "block": Composite(
                {"reason": "block_reason", "at": "blocked_at"},
                when=lambda: USERS.c.status == UserStatus.BLOCKED,
            ),
        },
        scope=_user_scope,
        relations=(
            many("memberships", "Membership", "user_id", RelationKind.LIST),
            many("notes", "UserNote", "user_id"),
            many("notesCount", "UserNote", "user_id", RelationKind.COUNT),
            many(
                "sessions",
                "Session",
                "user_id",
                RelationKind.LIST,
                where=lambda: live_session_condition(clock.now()),
            ),
            many("feedback", "Feedback", "user_id"),
        ),
        filters={
            "status": row_filter(status_condition),
            "plan_code": _plan_code,
            "customer_id": _customer,
            "search": row_filter(_search),
            "created_after": row_filter(lambda value: USERS.c.created_at >= _at(value)),
            "created_before": row_filter(lambda value: USERS.c.created_at < _at(value)),
        },
        orderings={
            "CREATED_AT": USERS.c.created_at,
            "EMAIL": USERS.c.email,
            "LAST_SEEN_AT": sa.func.coalesce(USERS.c.last_seen_at, _at(EPOCH)),
        },
        master_only=frozenset(
            {
                "notes",
                "notesCount",
                "isStaff",
                "lastSeenAt",
                "suspension",
                "block",
                "metadata",
                "sessions",
                "activity",
                "feedback",
            }
        ),
        # Audit events naming the user as actor or target: matched by public id, not a key.
        resolved=frozenset({"activity", "daily"}),
    )
)

NOTE_MODEL = registry.register(
    ReadModel(
        name="UserNote",
        table=NOTES,
        prefix=UserNote.PREFIX,
        fields={
            "category": "category",
            "body": "body",
            "authorId": "author_id",
            "createdAt": "created_at",
        },
        scope=staff_only,
        filters={
            "category": row_filter(lambda category: NOTES.c.category == category),
            "user_id": row_filter(lambda user_id: NOTES.c.user_id == user_id),
        },
        orderings={"CREATED_AT": NOTES.c.created_at},
    )
)


FEEDBACK_MODEL = registry.register(
    ReadModel(
        name="Feedback",
        table=FEEDBACK,
        prefix=Feedback.PREFIX,
        fields={
            "kind": "kind",
            "message": "message",
            "rating": "rating",
            "page": "page",
            "createdAt": "created_at",
        },
        scope=staff_only,
        relations=(one("user", "User", "user_id"),),
        filters={
            "user_id": row_filter(lambda user_id: FEEDBACK.c.user_id == user_id),
            "kind": row_filter(lambda kind: FEEDBACK.c.kind == kind),
            "from_": row_filter(lambda value: FEEDBACK.c.created_at >= _at(value)),
            "to": row_filter(lambda value: FEEDBACK.c.created_at < _at(value)),
        },
        orderings={"CREATED_AT": FEEDBACK.c.created_at},
    )
)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def email_taken(
    session: AsyncSession, email: str, except_id: uuid.UUID | None = None
) -> bool:
    statement = sa.select(USERS.c.id).where(USERS.c.email == email)
    if except_id is not None:
        statement = statement.where(USERS.c.id != except_id)
    return (await session.execute(statement.limit(1))).first() is not None


async def sole_owner_customer_ids(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Customers where this user is the only OWNER (removing them would orphan the account)."""
    other = MEMBERSHIPS.alias("other")
    statement = sa.select(MEMBERSHIPS.c.customer_id).where(
        MEMBERSHIPS.c.user_id == user_id,
        MEMBERSHIPS.c.role == MemberRole.OWNER,
        ~sa.exists().where(
            other.c.customer_id == MEMBERSHIPS.c.customer_id,
            other.c.role == MemberRole.OWNER,
            other.c.user_id != user_id,
        ),
    )
    return [row.customer_id for row in (await session.execute(statement)).all()]


async def delete_rows(
    session: AsyncSession, table: sa.Table, *where: sa.ColumnElement[bool]
) -> int:
    result = await session.execute(sa.delete(table).where(*where))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_sessions(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    """Sign a person out everywhere; returns how many live sessions ended.

    That is their own sessions (logins, and impersonations of them) and the impersonation
    tokens they started as staff: a blocked or deleted operator must not keep acting as someone
    else. Sessions already revoked or past their expiry are dead already and not counted.
    """
    result = await session.execute(
        sa.update(LOGIN_SESSIONS)
        .where(
            sa.or_(
                LOGIN_SESSIONS.c.user_id == user_id, LOGIN_SESSIONS.c.impersonator_id == user_id
            ),
            LOGIN_SESSIONS.c.revoked_at.is_(None),
            LOGIN_SESSIONS.c.expires_at > _at(now),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cascade_of_user(session: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each kind deleting this user takes with it."""
    return await cascade_counts(session, USERS, USERS.c.id == user_id)


async def get_note(session: AsyncSession, note_id: uuid.UUID) -> UserNote | None:
    return await session.get(UserNote, note_id)


async def reset_token_by_hash(session: AsyncSession, token_hash: str) -> PasswordResetToken | None:
    result = await session.execute(
        sa.select(PasswordResetToken).where(PASSWORD_RESET_TOKENS.c.token_hash == token_hash)
    )
    return result.scalar_one_or_none()


async def consume_reset_token(session: AsyncSession, reset_id: uuid.UUID, now: datetime) -> bool:
    """Mark a reset token used, unless it was used meanwhile; whether this call consumed it.

    A conditional UPDATE, so two requests racing with one link cannot both succeed: on
    PostgreSQL the second waits for the first's row lock and then finds `used_at` set.
    """
    result = await session.execute(
        sa.update(PASSWORD_RESET_TOKENS)
        .where(PASSWORD_RESET_TOKENS.c.id == reset_id, PASSWORD_RESET_TOKENS.c.used_at.is_(None))
        .values(used_at=now)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def retire_reset_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(PASSWORD_RESET_TOKENS)
        .where(
            PASSWORD_RESET_TOKENS.c.user_id == user_id, PASSWORD_RESET_TOKENS.c.used_at.is_(None)
        )
        .values(used_at=now)
    )


def stats_statements(now: datetime) -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    """Users by effective status; users by plan code (a user counts once per plan); new users."""
    lapsed = sa.and_(
        USERS.c.status == UserStatus.SUSPENDED,
        USERS.c.suspended_until.isnot(None),
        USERS.c.suspended_until <= _at(now),
    )
    status = sa.case((lapsed, sa.literal(UserStatus.ACTIVE.value)), else_=USERS.c.status)
    by_status = sa.select(status.label("status"), sa.func.count().label("count")).group_by(status)
    by_plan = (
        sa.select(PLANS.c.code, sa.func.count(sa.distinct(MEMBERSHIPS.c.user_id)).label("count"))
        .select_from(
            MEMBERSHIPS.join(CUSTOMERS, CUSTOMERS.c.id == MEMBERSHIPS.c.customer_id).join(
                PLANS, PLANS.c.id == CUSTOMERS.c.plan_id
            )
        )
        .group_by(PLANS.c.code)
        .order_by(PLANS.c.code)
    )
    recent = sa.select(sa.func.count()).where(USERS.c.created_at >= _at(now - timedelta(days=30)))
    return by_status, by_plan, recent


def signups_by_day_statement(since: datetime) -> sa.Select[Any]:
    day = utc_date(USERS.c.created_at)
    return (
        sa.select(day.label("day"), sa.func.count().label("count"))
        .where(USERS.c.created_at >= _at(since))
        .group_by(day)
        .order_by(day)
    )


async def signups_by_day(reader: Reader, today: date, days: int) -> list[tuple[date, int]]:
    """Sign-ups per UTC day for the `days` days ending `today`, oldest first, every day present
    (a day without sign-ups counts 0): what a chart, a CSV export or a metric needs alike."""
    since = datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=UTC)
    rows = await reader.all(signups_by_day_statement(since))
    counts = {row.day: int(row._mapping["count"]) for row in rows}
    return [
        (day, counts.get(day, 0))
        for day in (today - timedelta(days=offset) for offset in range(days - 1, -1, -1))
    ]


async def customer_ids_of_member(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The customers a user belongs to (where events about the user are published)."""
    statement = sa.select(MEMBERSHIPS.c.customer_id).where(MEMBERSHIPS.c.user_id == user_id)
    return list((await session.execute(statement)).scalars())
