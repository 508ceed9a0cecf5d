"""Applying Stripe's webhook events to Admiral's billing state.

The handlers speak to the billing rows only through `BillingState` (implemented over the
subscriptions and invoices tables), and learn what was applied before from `EventHistory`
(the `stripe_events` table), so the rules below are tested on their own.

Rules, in the order they are checked:
1. An event of a type not in `HANDLERS`, or about an object Admiral does not know, is IGNORED.
2. Under the admin override flag of the subscription concerned (`billingOverrideSet`), the event
   is SKIPPED_OVERRIDE: nothing changes, and the skip is recorded for the customer. This covers
   invoice events of that subscription too: the operator owns that account's billing state.
3. Out-of-order events never move state backwards, so an event is OUT_OF_ORDER when
   - it is older (Stripe's `created`, whole seconds) than the last event applied to the same
     subscription (or, for an invoice without subscription, the same invoice), or than the
     moment the subscription's admin override was last cleared
     (`subscriptions.billing_override_cleared_at`: the state the operator hands back counts as
     the newest, so an event skipped under the override, or any older one, never lands later;
     an event of that very second counts as older); or
   - it describes an earlier billing period (`current_period_end`) than the one stored; or
   - it would leave a final state: a canceled subscription is never revived, a paid invoice
     never becomes failed again.
   Events of the same second are applied in arrival order (Stripe gives no finer order).
4. Otherwise it is APPLIED:
   - `customer.subscription.updated`: status (Stripe's, mapped by `STATUSES`), period end and
     cancel-at-period-end follow the subscription object;
   - `customer.subscription.deleted`: the subscription is CANCELED;
   - `invoice.paid`: the invoice is PAID, and a PAST_DUE subscription it belongs to is ACTIVE;
   - `invoice.payment_failed`: the failed attempt is noted on the invoice and its subscription
     is PAST_DUE.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class Outcome(enum.StrEnum):
    APPLIED = "APPLIED"
    SKIPPED_OVERRIDE = "SKIPPED_OVERRIDE"
    IGNORED = "IGNORED"
    OUT_OF_ORDER = "OUT_OF_ORDER"


# Stripe's subscription statuses in Admiral's terms.
STATUSES = {
    "trialing": "TRIALING",
    "active": "ACTIVE",
    "past_due": "PAST_DUE",
    "unpaid": "PAST_DUE",
    "incomplete": "PAST_DUE",
    "paused": "PAST_DUE",
    "canceled": "CANCELED",
    "incomplete_expired": "CANCELED",
}


@dataclass(frozen=True, slots=True)
class StripeEventView:
    """The parts of a verified Stripe event the handlers read."""

    id: str
    type: str
    created: datetime
    object: Mapping[str, Any]

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> StripeEventView:
        return cls(
            id=str(event["id"]),
            type=str(event["type"]),
            created=datetime.fromtimestamp(int(event["created"]), UTC),
            object=event.get("data", {}).get("object", {}) or {},
        )

    @property
    def object_id(self) -> str | None:
        value = self.object.get("id")
        return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """A local subscription as the handlers need it."""

    stripe_id: str
    customer_id: uuid.UUID
    status: str  # TRIALING, ACTIVE, PAST_DUE, CANCELED
    override: bool  # the admin override flag
    current_period_end: datetime | None


@dataclass(frozen=True, slots=True)
class InvoiceState:
    stripe_id: str
    customer_id: uuid.UUID
    status: str  # DRAFT, OPEN, PAID, VOID, UNCOLLECTIBLE


class BillingState(Protocol):
    """The billing rows, as the webhook handlers read and change them (one unit of work)."""

    async def subscription(self, stripe_subscription_id: str) -> SubscriptionState | None: ...

    async def set_subscription(
        self,
        stripe_subscription_id: str,
        *,
        status: str,
        current_period_end: datetime | None,
        cancel_at_period_end: bool | None,
    ) -> None: ...

    async def invoice(self, stripe_invoice_id: str) -> InvoiceState | None: ...

    async def mark_invoice_paid(self, stripe_invoice_id: str, *, paid_at: datetime) -> None: ...

    async def mark_invoice_payment_failed(
        self, stripe_invoice_id: str, *, attempted_at: datetime, message: str | None
    ) -> None: ...

    async def record_skip(
        self, event: StripeEventView, subscription: SubscriptionState, reason: str
    ) -> None: ...


class EventHistory(Protocol):
    """When the last applied event of a Stripe object was created (`stripe_events`)."""

    async def last_applied(self, object_id: str) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Applied:
    """What became of one event: stored on its `stripe_events` row."""

    outcome: Outcome
    # The object whose timeline the event belongs to: its subscription, else itself.
    timeline_id: str | None = None
    customer_id: uuid.UUID | None = None
    note: str | None = None


Handler = Callable[[StripeEventView, BillingState, EventHistory], Awaitable[Applied]]


def subscription_id_of_invoice(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's subscription: `parent.subscription_details` since API 2025-03-31,
    `subscription` before."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    value = details.get("subscription") or invoice.get("subscription")
    if isinstance(value, Mapping):
        value = value.get("id")
    return None if value is None else str(value)


def period_end_of(subscription: Mapping[str, Any]) -> datetime | None:
    items = (subscription.get("items") or {}).get("data") or []
    value = (items[0] if items else {}).get("current_period_end")
    if value is None:
        value = subscription.get("current_period_end")
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


async def _older(event: StripeEventView, history: EventHistory, timeline_id: str) -> bool:
    last = await history.last_applied(timeline_id)
    return last is not None and event.created < last


async def _guard(
    event: StripeEventView,
    state: BillingState,
    history: EventHistory,
    subscription: SubscriptionState,
) -> Applied | None:
    """Rules 2 and 3 for an event that changes a subscription; None when it may apply."""
    if subscription.override:
        await state.record_skip(event, subscription, "admin override")
        return Applied(Outcome.SKIPPED_OVERRIDE, subscription.stripe_id, subscription.customer_id)
    if await _older(event, history, subscription.stripe_id):
        note = "older than the last applied event"
        return Applied(Outcome.OUT_OF_ORDER, subscription.stripe_id, subscription.customer_id, note)
    if subscription.status == "CANCELED":
        note = "the subscription is canceled"
        return Applied(Outcome.OUT_OF_ORDER, subscription.stripe_id, subscription.customer_id, note)
    return None


async def subscription_updated(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> Applied:
    local = await state.subscription(str(event.object.get("id")))
    if local is None:
        return Applied(Outcome.IGNORED, event.object_id, note="unknown subscription")
    refused = await _guard(event, state, history, local)
    if refused is not None:
        return refused
    period_end = period_end_of(event.object)
    if (
        period_end is not None
        and local.current_period_end is not None
        # Stripe counts whole seconds; a period begun here may carry microseconds.
        and period_end < local.current_period_end.replace(microsecond=0)
    ):
        note = "an earlier billing period"
        return Applied(Outcome.OUT_OF_ORDER, local.stripe_id, local.customer_id, note)
    status = STATUSES.get(str(event.object.get("status")))
    if status is None:
        return Applied(Outcome.IGNORED, local.stripe_id, local.customer_id, "unknown status")
    cancel = event.object.get("cancel_at_period_end")
    await state.set_subscription(
        local.stripe_id,
        status=status,
        current_period_end=period_end or local.current_period_end,
        cancel_at_period_end=None if cancel is None else bool(cancel),
    )
    return Applied(Outcome.APPLIED, local.stripe_id, local.customer_id)


async def subscription_deleted(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> Applied:
    local = await state.subscription(str(event.object.get("id")))
    if local is None:
        return Applied(Outcome.IGNORED, event.object_id, note="unknown subscription")
    refused = await _guard(event, state, history, local)
    if refused is not None:
        return refused
    await state.set_subscription(
        local.stripe_id,
        status="CANCELED",
        current_period_end=local.current_period_end,
        cancel_at_period_end=None,
    )
    return Applied(Outcome.APPLIED, local.stripe_id, local.customer_id)


async def _invoice_context(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> tuple[InvoiceState | None, SubscriptionState | None, Applied | None]:
    invoice = await state.invoice(str(event.object.get("id")))
    if invoice is None:
        return None, None, Applied(Outcome.IGNORED, event.object_id, note="unknown invoice")
    subscription_id = subscription_id_of_invoice(event.object)
    subscription = None if subscription_id is None else await state.subscription(subscription_id)
    if subscription is not None:
        if subscription.override:
            await state.record_skip(event, subscription, "admin override")
            return (
                invoice,
                subscription,
                Applied(Outcome.SKIPPED_OVERRIDE, subscription.stripe_id, invoice.customer_id),
            )
        timeline = subscription.stripe_id
    else:
        timeline = invoice.stripe_id
    if await _older(event, history, timeline):
        note = "older than the last applied event"
        return (
            invoice,
            subscription,
            Applied(Outcome.OUT_OF_ORDER, timeline, invoice.customer_id, note),
        )
    return invoice, subscription, None


async def invoice_paid(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> Applied:
    invoice, subscription, refused = await _invoice_context(event, state, history)
    if refused is not None:
        return refused
    assert invoice is not None
    timeline = subscription.stripe_id if subscription else invoice.stripe_id
    if invoice.status in ("VOID", "UNCOLLECTIBLE"):
        note = f"the invoice is {invoice.status}"
        return Applied(Outcome.OUT_OF_ORDER, timeline, invoice.customer_id, note)
    if invoice.status != "PAID":
        await state.mark_invoice_paid(invoice.stripe_id, paid_at=event.created)
    if subscription is not None and subscription.status == "PAST_DUE":
        await state.set_subscription(
            subscription.stripe_id,
            status="ACTIVE",
            current_period_end=subscription.current_period_end,
            cancel_at_period_end=None,
        )
    return Applied(Outcome.APPLIED, timeline, invoice.customer_id)


async def invoice_payment_failed(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> Applied:
    invoice, subscription, refused = await _invoice_context(event, state, history)
    if refused is not None:
        return refused
    assert invoice is not None
    timeline = subscription.stripe_id if subscription else invoice.stripe_id
    if invoice.status != "OPEN":
        note = f"the invoice is {invoice.status}"
        return Applied(Outcome.OUT_OF_ORDER, timeline, invoice.customer_id, note)
    error = (event.object.get("last_finalization_error") or {}).get("message")
    await state.mark_invoice_payment_failed(
        invoice.stripe_id, attempted_at=event.created, message=error
    )
    if subscription is not None and subscription.status in ("ACTIVE", "TRIALING"):
        await state.set_subscription(
            subscription.stripe_id,
            status="PAST_DUE",
            current_period_end=subscription.current_period_end,
            cancel_at_period_end=None,
        )
    return Applied(Outcome.APPLIED, timeline, invoice.customer_id)


HANDLERS: dict[str, Handler] = {
    "customer.subscription.updated": subscription_updated,
    "customer.subscription.deleted": subscription_deleted,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
}


async def apply_event(
    event: StripeEventView, state: BillingState, history: EventHistory
) -> Applied:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Applied(Outcome.IGNORED, event.object_id, note="a type Admiral does not act on")
    return await handler(event, state, history)
