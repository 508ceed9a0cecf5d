"""SQL for customers and memberships."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.kit.readmodel import ReadModel, Relation, registry
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.tables import CUSTOMERS, MEMBERSHIPS, PLANS


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
