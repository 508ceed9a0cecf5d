"""SQL for plans and their versions (the catalog is no tenant data: unscoped)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import (
    Composite,
    ReadModel,
    Relation,
    RelationKind,
    many,
    registry,
    row_filter,
    unscoped,
)
from app.models.billing import LIVE_STATUSES, Plan, PlanStatus, PlanVersion
from app.models.tables import PLAN_VERSIONS, PLANS, SUBSCRIPTIONS

LIMIT_COLUMNS = ("monthly_quota", "rate_per_second", "seats", "sla_percent")


def _limits() -> Composite:
    return Composite({column: column for column in LIMIT_COLUMNS})


def live_subscription() -> sa.ColumnElement[bool]:
    return SUBSCRIPTIONS.c.status.in_(sorted(LIVE_STATUSES))


def _plan_search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        sa.func.lower(PLANS.c.name).contains(lowered, autoescape=True),
        PLANS.c.code.contains(lowered, autoescape=True),
    )


PLAN_MODEL = registry.register(
    ReadModel(
        name="Plan",
        table=PLANS,
        prefix=Plan.PREFIX,
        fields={
            "code": "code",
            "name": "name",
            "description": "description",
            "price": Composite({"amount": "price_amount", "currency": "currency"}),
            "interval": "interval",
            "trialDays": "trial_days",
            "limits": _limits(),
            "features": "features",
            "status": "status",
            "version": "version",
            "archivedAt": "archived_at",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=unscoped,
        relations=(
            many("versions", "PlanVersion", "plan_id", RelationKind.LIST),
            Relation(
                "subscribersCount",
                "Subscription",
                "id",
                "plan_id",
                RelationKind.COUNT,
                where=live_subscription,
            ),
        ),
        filters={
            "status": row_filter(lambda status: PLANS.c.status == status),
            "interval": row_filter(lambda interval: PLANS.c.interval == interval),
            "search": row_filter(_plan_search),
        },
        orderings={"CREATED_AT": PLANS.c.created_at, "CODE": PLANS.c.code},
        resolved=frozenset({"mrr"}),
    )
)

PLAN_VERSION_MODEL = registry.register(
    ReadModel(
        name="PlanVersion",
        table=PLAN_VERSIONS,
        prefix=PlanVersion.PREFIX,
        fields={
            "version": "version",
            "price": Composite({"amount": "price_amount", "currency": "currency"}),
            "interval": "interval",
            "limits": _limits(),
            "createdAt": "created_at",
        },
        scope=unscoped,
        orderings={"CREATED_AT": PLAN_VERSIONS.c.created_at},
    )
)


async def plan_by_code(session: AsyncSession, code: str, *, lock: bool = False) -> Plan | None:
    statement = sa.select(Plan).where(PLANS.c.code == code)
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def code_taken(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(sa.select(PLANS.c.id).where(PLANS.c.code == code).limit(1))
    return found is not None


async def version_of(session: AsyncSession, plan_id: uuid.UUID, version: int) -> PlanVersion | None:
    statement = sa.select(PlanVersion).where(
        PLAN_VERSIONS.c.plan_id == plan_id, PLAN_VERSIONS.c.version == version
    )
    return (await session.execute(statement)).scalar_one_or_none()


def mrr_statement(plan_ids: Sequence[uuid.UUID]) -> sa.Select[tuple[uuid.UUID, str, int]]:
    """Per plan and interval, the sum of what its paying subscriptions pay (ACTIVE, PAST_DUE)."""
    paying = SUBSCRIPTIONS.c.status.in_(["ACTIVE", "PAST_DUE"])
    return (
        sa.select(
            SUBSCRIPTIONS.c.plan_id,
            SUBSCRIPTIONS.c.interval,
            sa.func.sum(SUBSCRIPTIONS.c.price_amount).label("total"),
        )
        .where(SUBSCRIPTIONS.c.plan_id.in_(list(plan_ids)), paying)
        .group_by(SUBSCRIPTIONS.c.plan_id, SUBSCRIPTIONS.c.interval)
    )


def tiers_statement() -> sa.Select[tuple[Plan]]:
    """Active yearly plans (the pricing page's tiers are those whose features name a tier)."""
    return (
        sa.select(*PLAN_MODEL.columns())
        .where(PLANS.c.status == PlanStatus.ACTIVE)
        .order_by(PLANS.c.price_amount, PLANS.c.code)
    )
