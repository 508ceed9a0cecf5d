"""A subscription changed by its payment provider (a Stripe webhook), not by an operator.

The webhook handlers (`app/billing/gateway/events.py`) decide whether an event applies; these
functions make the change like the operator's mutations do: one audit event (the unit of
work's actor is the system actor of the webhook) and the outbox event the service would send.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.billing.subscriptions.service import (
    _plan_code,
    _record,
    _set_customer_plan,
    subscription_view,
)
from app.kit import clock
from app.kit.uow import UnitOfWork
from app.models.billing import Subscription, SubscriptionStatus


async def by_provider_id(uow: UnitOfWork, stripe_subscription_id: str) -> Subscription | None:
    """The local subscription mirrored by a Stripe subscription (the newest, should a
    re-subscription ever have reused one)."""
    statement = (
        sa.select(Subscription)
        .where(Subscription.stripe_subscription_id == stripe_subscription_id)  # type: ignore[arg-type]
        .order_by(Subscription.created_at.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    found: Subscription | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found


async def apply_provider_state(
    uow: UnitOfWork,
    subscription: Subscription,
    *,
    status: SubscriptionStatus,
    current_period_end: datetime | None,
    cancel_at_period_end: bool | None,
) -> None:
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    now = clock.now()
    subscription.status = status
    if current_period_end is not None:
        subscription.current_period_end = current_period_end
    if cancel_at_period_end is not None:
        subscription.cancel_at_period_end = cancel_at_period_end
    event = "subscription.updated"
    if status is SubscriptionStatus.CANCELED:
        subscription.canceled_at = subscription.canceled_at or now
        subscription.cancel_at_period_end = False
        await _set_customer_plan(uow, subscription.customer_id, None)
        event = "subscription.canceled"
    subscription.updated_at = now
    await uow.session.flush()
    if subscription_view(subscription, code) != before:
        _record(uow, "subscription.provider_update", subscription, code, before, event)
