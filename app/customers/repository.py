"""SQL for customers and memberships."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from app.kit import clock
from app.kit.readmodel import ReadModel, Relation, registry
from app.kit.scope import RowScope
from app.models import InvitationStatus
from app.models.base import UTCDateTime
from app.models.tables import CUSTOMER_NOTES, CUSTOMERS, INVITATIONS, MEMBERSHIPS, PLANS, PROJECTS


def _customer_scope(scope: RowScope) -> sa.ColumnElement[bool] | None:
    if scope.customer_ids is None:
        return None
    return CUSTOMERS.c.id.in_(sorted(scope.customer_ids))


def _membership_scope(scope: RowScope) -> sa.ColumnElement[bool] | None:
    if scope.customer_ids is None:
        return None
    return MEMBERSHIPS.c.customer_id.in_(sorted(scope.customer_ids))


def _plan_code(code: str) -> sa.ColumnElement[bool]:
    return CUSTOMERS.c.plan_id.in_(sa.select(PLANS.c.id).where(PLANS.c.code == code))


def _search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        sa.func.lower(CUSTOMERS.c.name).contains(lowered, autoescape=True),
        CUSTOMERS.c.slug.contains(lowered, autoescape=True),
        sa.func.lower(CUSTOMERS.c.billing_email).contains(lowered, autoescape=True),
    )


def _created_from(value: datetime) -> sa.ColumnElement[bool]:
    return CUSTOMERS.c.created_at >= sa.literal(value, UTCDateTime())


def _created_before(value: datetime) -> sa.ColumnElement[bool]:
    return CUSTOMERS.c.created_at < sa.literal(value, UTCDateTime())


CUSTOMER_MODEL = registry.register(
    ReadModel(
        name="Customer",
        table=CUSTOMERS,
        prefix="cus",
        fields={
            "slug": "slug",
            "name": "name",
            "status": "status",
            "billingEmail": "billing_email",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "deactivatedAt": "deactivated_at",
            "deactivationReason": "deactivation_reason",
        },
        scope=_customer_scope,
        relations=(
            Relation("plan", "Plan", local_key="plan_id", remote_key="id", many=False),
            Relation("members", "Membership", local_key="id", remote_key="customer_id", many=True),
        ),
        filters={
            "status": lambda status: CUSTOMERS.c.status == status,
            "plan_code": _plan_code,
            "search": _search,
            "created_after": _created_from,
            "created_before": _created_before,
        },
        orderings={
            "CREATED_AT": CUSTOMERS.c.created_at,
            "NAME": CUSTOMERS.c.name,
            "SLUG": CUSTOMERS.c.slug,
        },
    )
)

MEMBERSHIP_MODEL = registry.register(
    ReadModel(
        name="Membership",
        table=MEMBERSHIPS,
        prefix="mem",
        fields={"role": "role", "createdAt": "created_at"},
        scope=_membership_scope,
        relations=(
            Relation("customer", "Customer", local_key="customer_id", remote_key="id", many=False),
            Relation("user", "User", local_key="user_id", remote_key="id", many=False),
        ),
        filters={
            "role": lambda role: MEMBERSHIPS.c.role == role,
            "customer_id": lambda customer_id: MEMBERSHIPS.c.customer_id == customer_id,
            "user_id": lambda user_id: MEMBERSHIPS.c.user_id == user_id,
        },
        orderings={"CREATED_AT": MEMBERSHIPS.c.created_at},
    )
)


def _by_customer(table: sa.Table) -> Callable[[RowScope], sa.ColumnElement[bool] | None]:
    def scope(row_scope: RowScope) -> sa.ColumnElement[bool] | None:
        if row_scope.customer_ids is None:
            return None
        return table.c.customer_id.in_(sorted(row_scope.customer_ids))

    return scope


def invitation_status_condition(status: InvitationStatus) -> sa.ColumnElement[bool]:
    """Rows whose derived status is `status` (PENDING past its expiry reads EXPIRED)."""
    now = sa.literal(clock.now(), UTCDateTime())
    open_ = sa.and_(INVITATIONS.c.accepted_at.is_(None), INVITATIONS.c.revoked_at.is_(None))
    if status is InvitationStatus.ACCEPTED:
        return INVITATIONS.c.accepted_at.isnot(None)
    if status is InvitationStatus.REVOKED:
        return sa.and_(INVITATIONS.c.accepted_at.is_(None), INVITATIONS.c.revoked_at.isnot(None))
    if status is InvitationStatus.EXPIRED:
        return sa.and_(open_, INVITATIONS.c.expires_at <= now)
    return sa.and_(open_, INVITATIONS.c.expires_at > now)


def _customer_notes_scope(row_scope: RowScope) -> sa.ColumnElement[bool] | None:
    # Notes about a customer are written by staff for staff; session admins never read them.
    return None if row_scope.customer_ids is None else sa.false()


INVITATION_MODEL = registry.register(
    ReadModel(
        name="Invitation",
        table=INVITATIONS,
        prefix="inv",
        fields={
            "email": "email",
            "role": "role",
            "invitedBy": "invited_by",
            "createdAt": "created_at",
            "expiresAt": "expires_at",
            "acceptedAt": "accepted_at",
            "revokedAt": "revoked_at",
        },
        scope=_by_customer(INVITATIONS),
        relations=(
            Relation("customer", "Customer", local_key="customer_id", remote_key="id", many=False),
        ),
        filters={
            "customer_id": lambda customer_id: INVITATIONS.c.customer_id == customer_id,
            "status": invitation_status_condition,
            "email": lambda email: INVITATIONS.c.email == email,
        },
        orderings={"CREATED_AT": INVITATIONS.c.created_at},
    )
)

PROJECT_MODEL = registry.register(
    ReadModel(
        name="Project",
        table=PROJECTS,
        prefix="prj",
        fields={
            "name": "name",
            "slug": "slug",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=_by_customer(PROJECTS),
        relations=(
            Relation("customer", "Customer", local_key="customer_id", remote_key="id", many=False),
        ),
        filters={
            "customer_id": lambda customer_id: PROJECTS.c.customer_id == customer_id,
            "search": lambda text: sa.or_(
                sa.func.lower(PROJECTS.c.name).contains(text.lower(), autoescape=True),
                PROJECTS.c.slug.contains(text.lower(), autoescape=True),
            ),
        },
        orderings={"CREATED_AT": PROJECTS.c.created_at, "NAME": PROJECTS.c.name},
    )
)

CUSTOMER_NOTE_MODEL = registry.register(
    ReadModel(
        name="CustomerNote",
        table=CUSTOMER_NOTES,
        prefix="cno",
        fields={"body": "body", "authorId": "author_id", "createdAt": "created_at"},
        scope=_customer_notes_scope,
        filters={"customer_id": lambda customer_id: CUSTOMER_NOTES.c.customer_id == customer_id},
        orderings={"CREATED_AT": CUSTOMER_NOTES.c.created_at},
    )
)
