"""Renewals: at a subscription's period end, cancel it (when marked), or end its trial and
invoice the next period (the plan's price for that period, the pending proration items,
discounts, tax), pay it (credit balance first, then the gateway) and advance the period.

A failed payment leaves the invoice OPEN and the subscription PAST_DUE, and plans retries
(`billing_retry_days`, counted from the first failure); after the last one the subscription
is CANCELED (or stays PAST_DUE, `billing_cancel_after_retries`). A trial that ends without a
working payment method (Stripe refuses the charge) lands in PAST_DUE the same way; the local
ledger always has one, except for a test clock's declining test payment method.

All times come from `app.kit.clock` (a test clock pins it per customer); amounts are integers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.billing.coupons.service import add_months
from app.billing.gateway.base import BillingGateway
from app.billing.invoices import service as invoices
from app.billing.proration import interval_months
from app.billing.renewal import repository
from app.billing.renewal.invoicing import finalize
from app.billing.subscriptions import history
from app.billing.subscriptions.service import subscription_view
from app.kit import clock, hooks
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models.billing import Plan, Subscription, SubscriptionStatus
from app.models.customers import Customer
from app.models.invoices import Invoice, InvoiceLineKind, InvoiceStatus, PaymentAttempt
from app.models.tables import SUBSCRIPTIONS
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Policy:
    retry_days: tuple[int, ...] = (3, 5, 7)
    cancel_after_retries: bool = True

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(tuple(settings.billing_retry_days), settings.billing_cancel_after_retries)


@dataclass(frozen=True, slots=True)
class Renewal:
    subscription: Subscription
    invoice: Invoice | None


def next_period_end(subscription: Subscription, start: datetime) -> datetime:
    """The first end after `start` on the subscription's billing-cycle grid (the anchor plus
    whole intervals, the day clamped to the month's end: Jan 31, Feb 28, Mar 31), so
    clamping in one month does not drift the periods after it."""
    months = interval_months(subscription.interval)
    anchor = subscription.billing_cycle_anchor
    elapsed = (start.year - anchor.year) * 12 + start.month - anchor.month
    step = max(1, elapsed // months)
    while (end := add_months(anchor, months * step)) <= start:
        step += 1
    return end


def _sub_id(subscription: Subscription) -> str:
    return encode(Subscription.PREFIX, subscription.id)


async def _plan(uow: UnitOfWork, subscription: Subscription) -> Plan:
    plan = await uow.session.get(Plan, subscription.plan_id)
    assert plan is not None
    return plan


def _record(
    uow: UnitOfWork, action: str, subscription: Subscription, code: str, before: dict[str, object]
) -> None:
    after = subscription_view(subscription, code)
    uow.record(
        action,
        "Subscription",
        _sub_id(subscription),
        before=before,
        after=after,
        customer_id=subscription.customer_id,
    )
    history.record_change(uow, action, subscription, dict(before))  # the MRR history (metrics)
    # Its API keys and licenses follow the new status, once, in this same transaction.
    hooks.customer_changed_at_commit(uow, subscription.customer_id)


def _publish(uow: UnitOfWork, event: str, subscription: Subscription, code: str) -> None:
    uow.publish(
        event,
        {
            "subscriptionId": _sub_id(subscription),
            "customerId": encode(Customer.PREFIX, subscription.customer_id),
            **subscription_view(subscription, code),
        },
        customer_id=subscription.customer_id,
    )


async def _end(uow: UnitOfWork, subscription: Subscription, at: datetime) -> None:
    subscription.status = SubscriptionStatus.CANCELED
    subscription.canceled_at = at
    subscription.updated_at = clock.now()
    customer = await uow.session.get(Customer, subscription.customer_id)
    assert customer is not None
    if customer.plan_id == subscription.plan_id:
        customer.plan_id = None
        customer.updated_at = clock.now()
    await uow.session.flush()


def _retry_at(policy: Policy, first_failure: datetime, failures: int) -> datetime | None:
    """When to retry after `failures` failed attempts (None: that was the last)."""
    if failures > len(policy.retry_days):
        return None
    return first_failure + timedelta(days=policy.retry_days[failures - 1])


async def _after_failure(
    uow: UnitOfWork, subscription: Subscription, code: str, last: bool, policy: Policy
) -> None:
    before = subscription_view(subscription, code)
    if last and policy.cancel_after_retries:
        await _end(uow, subscription, clock.now())
        _record(uow, "subscription.payment_failed_cancel", subscription, code, before)
        _publish(uow, "subscription.canceled", subscription, code)
        return
    if subscription.status is not SubscriptionStatus.PAST_DUE:
        subscription.status = SubscriptionStatus.PAST_DUE
        subscription.updated_at = clock.now()
        await uow.session.flush()
        _record(uow, "subscription.past_due", subscription, code, before)
        _publish(uow, "subscription.updated", subscription, code)


async def renew(
    uow: UnitOfWork, subscription: Subscription, gateway: BillingGateway, policy: Policy
) -> Renewal:
    """Run one period end of the (claimed, due) `subscription`."""
    plan = await _plan(uow, subscription)
    before = subscription_view(subscription, plan.code)
    ended_at = subscription.current_period_end
    if subscription.cancel_at_period_end:
        await _end(uow, subscription, ended_at)
        _record(uow, "subscription.renewal_cancel", subscription, plan.code, before)
        _publish(uow, "subscription.canceled", subscription, plan.code)
        return Renewal(subscription, None)
    was_trial = subscription.status is SubscriptionStatus.TRIALING
    end = next_period_end(subscription, ended_at)
    subscription.current_period_start, subscription.current_period_end = ended_at, end
    if was_trial:
        subscription.status = SubscriptionStatus.ACTIVE
    subscription.updated_at = clock.now()
    await uow.session.flush()
    draft = await invoices.draft_invoice(
        uow,
        customer_id=subscription.customer_id,
        currency=subscription.currency,
        subscription_id=subscription.id,
        period_start=ended_at,
        period_end=end,
        lines=[
            invoices.LineDraft(
                f"{plan.name} (v{subscription.plan_version}), "
                f"{ended_at.date().isoformat()} to {end.date().isoformat()}",
                unit_amount=subscription.price_amount,
                kind=InvoiceLineKind.SUBSCRIPTION,
                period_start=ended_at,
                period_end=end,
            )
        ],
    )
    invoice = await finalize(uow, draft.id)
    _record(uow, "subscription.renew", subscription, plan.code, before)
    if was_trial:
        _publish(uow, "subscription.trial_ended", subscription, plan.code)
    _publish(uow, "subscription.updated", subscription, plan.code)
    if invoice.status is InvoiceStatus.OPEN:
        now = clock.now()
        retry_at = _retry_at(policy, now, 1)
        key = f"renewal:{subscription.id}:{int(ended_at.timestamp())}"
        invoice = await invoices.pay_invoice(uow, invoice.id, gateway, key, retry_at=retry_at)
        if invoice.status is InvoiceStatus.OPEN:
            await _after_failure(uow, subscription, plan.code, retry_at is None, policy)
    return Renewal(subscription, invoice)


async def retry(
    uow: UnitOfWork, attempt: PaymentAttempt, gateway: BillingGateway, policy: Policy
) -> Invoice | None:
    """Retry the (claimed) failed `attempt`'s invoice; None when it is no longer OPEN."""
    invoice = await uow.session.get(Invoice, attempt.invoice_id)
    if invoice is None or invoice.status is not InvoiceStatus.OPEN:
        return None
    failed = await repository.failed_attempts(uow.session, invoice.id)
    retry_at = _retry_at(policy, failed[0].attempted_at, len(failed) + 1)
    invoice = await invoices.pay_invoice(uow, invoice.id, gateway, None, retry_at=retry_at)
    if invoice.subscription_id is None:
        return invoice
    statement = (
        sa.select(Subscription)
        .where(SUBSCRIPTIONS.c.id == invoice.subscription_id, SUBSCRIPTIONS.c.status != "CANCELED")
        .with_for_update()
    )
    subscription = (await uow.session.execute(statement)).scalar_one_or_none()
    if subscription is None:
        return invoice
    plan = await _plan(uow, subscription)
    if invoice.status is InvoiceStatus.PAID:
        if subscription.status is SubscriptionStatus.PAST_DUE:
            before = subscription_view(subscription, plan.code)
            subscription.status = SubscriptionStatus.ACTIVE
            subscription.updated_at = clock.now()
            await uow.session.flush()
            _record(uow, "subscription.recovered", subscription, plan.code, before)
            _publish(uow, "subscription.updated", subscription, plan.code)
        return invoice
    await _after_failure(uow, subscription, plan.code, retry_at is None, policy)
    return invoice


async def claim_and_renew(
    uow: UnitOfWork,
    subscription_id: uuid.UUID,
    gateway: BillingGateway,
    policy: Policy,
) -> Renewal | None:
    subscription = await repository.claim_due_subscription(
        uow.session, uow.dialect, subscription_id, clock.now()
    )
    if subscription is None:
        return None
    return await renew(uow, subscription, gateway, policy)


async def claim_and_retry(
    uow: UnitOfWork, attempt_id: uuid.UUID, gateway: BillingGateway, policy: Policy
) -> Invoice | None:
    attempt = await repository.claim_retry(uow.session, attempt_id)
    if attempt is None:
        return None
    return await retry(uow, attempt, gateway, policy)
