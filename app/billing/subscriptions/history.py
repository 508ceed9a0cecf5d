"""The history of what each subscription pays: one `subscription_changes` row per change,
written in the change's own transaction, from which the metrics read the MRR movements (new,
expansion, contraction, churn, reactivation) exactly as they were committed.
"""

from __future__ import annotations

from typing import Any

from app.billing import proration
from app.kit import clock
from app.kit.uow import UnitOfWork
from app.models.billing import PlanInterval, Subscription, SubscriptionStatus
from app.models.metrics import SubscriptionChange

# What counts as paying, the same rule as `Subscription.mrr`.
PAYING = frozenset({SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAST_DUE.value})


def mrr_of(status: str | None, amount: int | None, interval: str | None) -> int:
    if status not in PAYING or amount is None or interval is None:
        return 0
    return proration.normalised_monthly(amount, PlanInterval(interval))


def record_change(
    uow: UnitOfWork, action: str, subscription: Subscription, before: dict[str, Any]
) -> None:
    """Add the history row of a change (`before` is the subscription's view before it)."""
    uow.session.add(
        SubscriptionChange(
            customer_id=subscription.customer_id,
            subscription_id=subscription.id,
            plan_id=subscription.plan_id,
            action=action,
            status_before=before.get("status"),
            status_after=subscription.status.value,
            mrr_before=mrr_of(before.get("status"), before.get("amount"), before.get("interval")),
            mrr_after=mrr_of(
                subscription.status.value, subscription.price_amount, subscription.interval.value
            ),
            currency=subscription.currency,
            occurred_at=clock.now(),
        )
    )
