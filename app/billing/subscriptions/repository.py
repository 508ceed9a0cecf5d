"""SQL for subscriptions and the provider events an admin override skipped."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.plans.repository import live_subscription
from app.kit.readmodel import (
    Composite,
    ReadModel,
    one,
    registry,
    row_filter,
    scoped_by,
)
from app.models.billing import BillingOverrideSkip, Subscription
from app.models.tables import BILLING_OVERRIDE_SKIPS, SUBSCRIPTIONS

SUBSCRIPTION_MODEL = registry.register(
    ReadModel(
        name="Subscription",
        table=SUBSCRIPTIONS,
        prefix=Subscription.PREFIX,
        fields={
            "status": "status",
            "planVersion": "plan_version",
            "price": Composite({"amount": "price_amount", "currency": "currency"}),
            "interval": "interval",
            "trialStart": "trial_start",
            "trialEnd": "trial_end",
            "currentPeriodStart": "current_period_start",
            "currentPeriodEnd": "current_period_end",
            "billingCycleAnchor": "billing_cycle_anchor",
            "cancelAtPeriodEnd": "cancel_at_period_end",
            "canceledAt": "canceled_at",
            "cancelReason": "cancel_reason",
            "limitsOverride": "limits_override",
            "limitsOverrideReason": "limits_override_reason",
            "billingOverride": "billing_override",
            "billingOverrideReason": "billing_override_reason",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=scoped_by(SUBSCRIPTIONS.c.customer_id),
        relations=(
            one("customer", "Customer", "customer_id"),
            one("plan", "Plan", "plan_id"),
        ),
        filters={
            "customer_id": row_filter(
                lambda customer_id: SUBSCRIPTIONS.c.customer_id == customer_id
            ),
            "live": row_filter(lambda live: live_subscription() if live else ~live_subscription()),
        },
        orderings={"CREATED_AT": SUBSCRIPTIONS.c.created_at},
        resolved=frozenset({"mrr"}),
    )
)

BILLING_OVERRIDE_SKIP_MODEL = registry.register(
    ReadModel(
        name="BillingOverrideSkip",
        table=BILLING_OVERRIDE_SKIPS,
        prefix=BillingOverrideSkip.PREFIX,
        fields={
            "providerEventId": "provider_event_id",
            "eventType": "event_type",
            "receivedAt": "received_at",
            "reason": "reason",
        },
        scope=scoped_by(BILLING_OVERRIDE_SKIPS.c.customer_id),
        filters={
            "customer_id": row_filter(
                lambda customer_id: BILLING_OVERRIDE_SKIPS.c.customer_id == customer_id
            )
        },
        orderings={"CREATED_AT": BILLING_OVERRIDE_SKIPS.c.received_at},
    )
)


async def live_subscription_of(
    session: AsyncSession, customer_id: uuid.UUID, *, lock: bool = True
) -> Subscription | None:
    statement = sa.select(Subscription).where(
        SUBSCRIPTIONS.c.customer_id == customer_id, live_subscription()
    )
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def live_subscriptions_of_plan(
    session: AsyncSession, plan_id: uuid.UUID, *, below_version: int, from_version: int | None
) -> list[Subscription]:
    statement = (
        sa.select(Subscription)
        .where(
            SUBSCRIPTIONS.c.plan_id == plan_id,
            live_subscription(),
            SUBSCRIPTIONS.c.plan_version < below_version,
        )
        .order_by(SUBSCRIPTIONS.c.created_at, SUBSCRIPTIONS.c.id)
        .with_for_update()
    )
    if from_version is not None:
        statement = statement.where(SUBSCRIPTIONS.c.plan_version == from_version)
    return list((await session.execute(statement)).scalars().all())
