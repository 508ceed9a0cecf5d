"""`BillingState` and `EventHistory` in memory: the webhook rules tested without the tables."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from app.billing.gateway.events import (
    Applied,
    InvoiceState,
    Outcome,
    StripeEventView,
    SubscriptionState,
    apply_event,
)


@dataclass
class MemoryBillingState:
    subscriptions: dict[str, SubscriptionState] = field(default_factory=dict)
    invoices: dict[str, InvoiceState] = field(default_factory=dict)
    cancel_at_period_end: dict[str, bool] = field(default_factory=dict)
    failed_attempts: dict[str, list[datetime]] = field(default_factory=dict)
    skips: list[tuple[str, str, str]] = field(default_factory=list)
    changes: int = 0

    def add_subscription(
        self,
        stripe_id: str,
        status: str = "ACTIVE",
        *,
        override: bool = False,
        period_end: datetime | None = None,
        customer_id: uuid.UUID | None = None,
    ) -> SubscriptionState:
        state = SubscriptionState(
            stripe_id, customer_id or uuid.uuid4(), status, override, period_end
        )
        self.subscriptions[stripe_id] = state
        return state

    def add_invoice(
        self, stripe_id: str, status: str = "OPEN", *, customer_id: uuid.UUID | None = None
    ) -> InvoiceState:
        state = InvoiceState(stripe_id, customer_id or uuid.uuid4(), status)
        self.invoices[stripe_id] = state
        return state

    async def subscription(self, stripe_subscription_id: str) -> SubscriptionState | None:
        return self.subscriptions.get(stripe_subscription_id)

    async def set_subscription(
        self,
        stripe_subscription_id: str,
        *,
        status: str,
        current_period_end: datetime | None,
        cancel_at_period_end: bool | None,
    ) -> None:
        self.changes += 1
        old = self.subscriptions[stripe_subscription_id]
        self.subscriptions[stripe_subscription_id] = dataclasses.replace(
            old, status=status, current_period_end=current_period_end
        )
        if cancel_at_period_end is not None:
            self.cancel_at_period_end[stripe_subscription_id] = cancel_at_period_end

    async def invoice(self, stripe_invoice_id: str) -> InvoiceState | None:
        return self.invoices.get(stripe_invoice_id)

    async def mark_invoice_paid(self, stripe_invoice_id: str, *, paid_at: datetime) -> None:
        self.changes += 1
        old = self.invoices[stripe_invoice_id]
        self.invoices[stripe_invoice_id] = dataclasses.replace(old, status="PAID")

    async def mark_invoice_payment_failed(
        self, stripe_invoice_id: str, *, attempted_at: datetime, message: str | None
    ) -> None:
        self.changes += 1
        self.failed_attempts.setdefault(stripe_invoice_id, []).append(attempted_at)

    async def record_skip(
        self, event: StripeEventView, subscription: SubscriptionState, reason: str
    ) -> None:
        self.skips.append((event.id, subscription.stripe_id, reason))


@dataclass
class MemoryHistory:
    applied: dict[str, datetime] = field(default_factory=dict)

    async def last_applied(self, object_id: str) -> datetime | None:
        return self.applied.get(object_id)

    async def deliver(self, event: StripeEventView, state: MemoryBillingState) -> Applied:
        """Apply the event and remember it when applied, as the `stripe_events` table does."""
        result = await apply_event(event, state, self)
        if result.outcome is Outcome.APPLIED and result.timeline_id is not None:
            last = self.applied.get(result.timeline_id)
            self.applied[result.timeline_id] = max(last, event.created) if last else event.created
        return result
