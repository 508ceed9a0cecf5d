"""Where the webhook endpoint finds the billing rows (`BillingState`) of a unit of work.

`TableBillingState` reads and changes the real tables in the webhook's unit of work: a
subscription by `subscriptions.stripe_subscription_id`, an invoice by
`invoices.stripe_invoice_id`. Each change is audited (the unit of work's actor: the system
actor `stripe-webhook`) and published to the outbox as the operator's mutations do
(`subscription.updated`/`subscription.canceled`, `invoice.paid`, `invoice.payment_failed`); a
skipped event becomes a `billing_override_skips` row, listed by `Customer.billingOverrideSkips`.
"""

from __future__ import annotations

from datetime import datetime

from app.billing.gateway.events import (
    BillingState,
    InvoiceState,
    StripeEventView,
    SubscriptionState,
)
from app.billing.invoices import provider as invoices
from app.billing.subscriptions import provider as subscriptions
from app.kit import clock
from app.kit.uow import UnitOfWork
from app.models.billing import BillingOverrideSkip, Subscription, SubscriptionStatus
from app.models.invoices import Invoice


class TableBillingState:
    """`BillingState` over the subscriptions, invoices and skips tables."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def _subscription(self, stripe_subscription_id: str) -> Subscription:
        found = await subscriptions.by_provider_id(self.uow, stripe_subscription_id)
        if found is None:  # the handlers only change what `subscription` found
            raise LookupError(stripe_subscription_id)
        return found

    async def _invoice(self, stripe_invoice_id: str) -> Invoice:
        found = await invoices.by_provider_id(self.uow, stripe_invoice_id)
        if found is None:
            raise LookupError(stripe_invoice_id)
        return found

    async def subscription(self, stripe_subscription_id: str) -> SubscriptionState | None:
        found = await subscriptions.by_provider_id(self.uow, stripe_subscription_id)
        if found is None:
            return None
        return SubscriptionState(
            stripe_id=stripe_subscription_id,
            customer_id=found.customer_id,
            status=found.status.value,
            override=found.billing_override,
            current_period_end=found.current_period_end,
        )

    async def set_subscription(
        self,
        stripe_subscription_id: str,
        *,
        status: str,
        current_period_end: datetime | None,
        cancel_at_period_end: bool | None,
    ) -> None:
        await subscriptions.apply_provider_state(
            self.uow,
            await self._subscription(stripe_subscription_id),
            status=SubscriptionStatus(status),
            current_period_end=current_period_end,
            cancel_at_period_end=cancel_at_period_end,
        )

    async def invoice(self, stripe_invoice_id: str) -> InvoiceState | None:
        found = await invoices.by_provider_id(self.uow, stripe_invoice_id)
        if found is None:
            return None
        return InvoiceState(stripe_invoice_id, found.customer_id, found.status.value)

    async def mark_invoice_paid(self, stripe_invoice_id: str, *, paid_at: datetime) -> None:
        await invoices.mark_paid(self.uow, await self._invoice(stripe_invoice_id), paid_at=paid_at)

    async def mark_invoice_payment_failed(
        self, stripe_invoice_id: str, *, attempted_at: datetime, message: str | None
    ) -> None:
        await invoices.mark_payment_failed(
            self.uow,
            await self._invoice(stripe_invoice_id),
            attempted_at=attempted_at,
            message=message,
        )

    async def record_skip(
        self, event: StripeEventView, subscription: SubscriptionState, reason: str
    ) -> None:
        local = await self._subscription(subscription.stripe_id)
        self.uow.session.add(
            BillingOverrideSkip(
                customer_id=local.customer_id,
                subscription_id=local.id,
                provider_event_id=event.id,
                event_type=event.type,
                received_at=clock.now(),
                reason=reason,
            )
        )
        await self.uow.session.flush()


def billing_state(uow: UnitOfWork) -> BillingState:
    return TableBillingState(uow)
