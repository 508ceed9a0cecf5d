"""Where the webhook endpoint finds the billing rows (`BillingState`) of a unit of work.

Until subscriptions and invoices carry Stripe ids, no Stripe object is known here and every
event is stored as IGNORED. The billing domain replaces `billing_state` with its implementation
over the subscriptions and invoices tables (`app/billing/gateway/events.py::BillingState`).
"""

from __future__ import annotations

from datetime import datetime

from app.billing.gateway.events import (
    BillingState,
    InvoiceState,
    StripeEventView,
    SubscriptionState,
)
from app.kit.uow import UnitOfWork


class NoBillingState:
    """Knows no Stripe object: every event about one is IGNORED."""

    async def subscription(self, stripe_subscription_id: str) -> SubscriptionState | None:
        return None

    async def set_subscription(
        self,
        stripe_subscription_id: str,
        *,
        status: str,
        current_period_end: datetime | None,
        cancel_at_period_end: bool | None,
    ) -> None:  # pragma: no cover - never called: no subscription is known
        raise LookupError(stripe_subscription_id)

    async def invoice(self, stripe_invoice_id: str) -> InvoiceState | None:
        return None

    async def mark_invoice_paid(
        self, stripe_invoice_id: str, *, paid_at: datetime
    ) -> None:  # pragma: no cover - never called: no invoice is known
        raise LookupError(stripe_invoice_id)

    async def mark_invoice_payment_failed(
        self, stripe_invoice_id: str, *, attempted_at: datetime, message: str | None
    ) -> None:  # pragma: no cover - never called: no invoice is known
        raise LookupError(stripe_invoice_id)

    async def record_skip(
        self, event: StripeEventView, subscription: SubscriptionState, reason: str
    ) -> None:  # pragma: no cover - never called: no subscription is known
        raise LookupError(subscription.stripe_id)


def billing_state(uow: UnitOfWork) -> BillingState:
    return NoBillingState()
