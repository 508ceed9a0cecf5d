"""SQL for users and their notes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from app.kit import clock
from app.kit.readmodel import ReadModel, Relation, registry
from app.kit.scope import RowScope
from app.models import UserStatus
from app.models.base import UTCDateTime
from app.models.tables import CUSTOMERS, MEMBERSHIPS, PLANS, USER_NOTES, USERS

NOTES = USER_NOTES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _at(value: datetime) -> sa.BindParameter[datetime]:
    return sa.literal(value, UTCDateTime())


def _user_scope(scope: RowScope) -> sa.ColumnElement[bool] | None:
    """A session admin sees the users who are members of one of their customers."""
    if scope.customer_ids is None:
        return None
    return sa.exists().where(
        MEMBERSHIPS.c.user_id == USERS.c.id,
        MEMBERSHIPS.c.customer_id.in_(sorted(scope.customer_ids)),
    )


def _notes_scope(scope: RowScope) -> sa.ColumnElement[bool] | None:
    # Admin notes are staff-only: no session admin sees any.
    return None if scope.customer_ids is None else sa.false()


def status_condition(status: UserStatus) -> sa.ColumnElement[bool]:
    """Rows whose effective status is `status` (a lapsed suspension counts as ACTIVE)."""
    now = _at(clock.now())
    lapsed = sa.and_(
        USERS.c.status == UserStatus.SUSPENDED,
        USERS.c.suspended_until.isnot(None),
        USERS.c.suspended_until <= now,
    )
    if status is UserStatus.ACTIVE:
        return sa.or_(USERS.c.status == UserStatus.ACTIVE, lapsed)
    if status is UserStatus.SUSPENDED:
        return sa.and_(USERS.c.status == UserStatus.SUSPENDED, sa.not_(lapsed))
    return USERS.c.status == status


def _plan_code(code: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        MEMBERSHIPS.c.user_id == USERS.c.id,
        MEMBERSHIPS.c.customer_id == CUSTOMERS.c.id,
        CUSTOMERS.c.plan_id == PLANS.c.id,
        PLANS.c.code == code,
    )


def _customer(customer_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        MEMBERSHIPS.c.user_id == USERS.c.id, MEMBERSHIPS.c.customer_id == customer_id
    )


def _search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        USERS.c.email.contains(lowered, autoescape=True),
        sa.func.lower(USERS.c.name).contains(lowered, autoescape=True),
    )


USER_MODEL = registry.register(
    ReadModel(
        name="User",
        table=USERS,
        prefix="usr",
        fields={
            "email": "email",
            "name": "name",
            "status": "status",
            "suspendedUntil": "suspended_until",
            "isStaff": "is_staff",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "lastSeenAt": "last_seen_at",
        },
        scope=_user_scope,
        relations=(
            Relation("memberships", "Membership", local_key="id", remote_key="user_id", many=True),
            Relation("notes", "UserNote", local_key="id", remote_key="user_id", many=True),
        ),
        filters={
            "status": status_condition,
            "plan_code": _plan_code,
            "customer_id": _customer,
            "search": _search,
            "created_after": lambda value: USERS.c.created_at >= _at(value),
            "created_before": lambda value: USERS.c.created_at < _at(value),
        },
        orderings={
            "CREATED_AT": USERS.c.created_at,
            "EMAIL": USERS.c.email,
            "LAST_SEEN_AT": sa.func.coalesce(USERS.c.last_seen_at, _at(EPOCH)),
        },
        master_only=frozenset({"notes", "notesCount", "isStaff", "suspendedUntil"}),
    )
)

NOTE_MODEL = registry.register(
    ReadModel(
        name="UserNote",
        table=NOTES,
        prefix="not",
        fields={
            "category": "category",
            "body": "body",
            "authorId": "author_id",
            "createdAt": "created_at",
        },
        scope=_notes_scope,
        relations=(Relation("user", "User", local_key="user_id", remote_key="id", many=False),),
        filters={
            "category": lambda category: NOTES.c.category == category,
            "user_id": lambda user_id: NOTES.c.user_id == user_id,
        },
        orderings={"CREATED_AT": NOTES.c.created_at},
    )
)
