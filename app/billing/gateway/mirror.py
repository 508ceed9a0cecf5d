"""Mirroring operator changes into Stripe, when Stripe is configured (`stripe_of`).

Each function is the Stripe half of one mutation, called by its resolver right after the
domain service made the local change in the same unit of work (flushed, not committed): the
local rules have then all run, so Stripe is asked only for a change Admiral accepts. Stripe's
answer decides the rest, call then commit (`stripe_compensation.py`):

- Stripe refuses: the mutation answers `PAYMENT_PROVIDER_ERROR` with Stripe's message and the
  unit of work rolls back, so nothing local changed (calls of the same mutation that Stripe
  had accepted before are compensated);
- Stripe accepts: its ids are stored on the local rows, and the call's undo is registered, so
  a failure after it (a constraint at commit, a late business rule) undoes the Stripe change,
  audited as `billing.stripe_compensated` (or `billing.stripe_compensation_failed`).

Every call forwards the mutation's idempotency key (`UnitOfWork.idempotency_key`, one derived
key per Stripe call). A dry run never reaches Stripe: these functions return at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from app.billing.gateway.base import BillingGateway
from app.billing.gateway.local import LocalLedgerGateway
from app.billing.gateway.stripe import StripeGateway
from app.billing.gateway.stripe_compensation import call_then_commit
from app.billing.gateway.stripe_types import (
    ChargeRequest,
    ChargeResult,
    CouponDuration,
    CouponSpec,
    CreditNoteReason,
    GatewayError,
    PlanPrice,
    ProrationBehavior,
    RefundTo,
)
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models.billing import Plan, Subscription, SubscriptionStatus
from app.models.coupons import Coupon
from app.models.customers import Customer
from app.models.invoices import CreditNote, Invoice, InvoiceStatus
from app.models.tables import SUBSCRIPTIONS
from app.settings import Settings

T = TypeVar("T")


def stripe_of(settings: Settings) -> StripeGateway | None:
    """The Stripe gateway when `ADMIRAL_STRIPE_API_KEY` is set; None: nothing is mirrored."""
    if settings.stripe_api_key is None:
        return None
    return StripeGateway.from_settings(settings)


def refused(error: GatewayError) -> UserInputError:
    return UserInputError(error.message, ErrorCode.PAYMENT_PROVIDER_ERROR)


async def _asked(call: Callable[[], Awaitable[T]]) -> T:
    """A Stripe call with nothing to undo (a lookup, a shared plan)."""
    try:
        return await call()
    except GatewayError as error:
        raise refused(error) from None


async def _made(
    uow: UnitOfWork,
    call: Callable[[], Awaitable[T]],
    compensate: Callable[[T], Awaitable[object]],
    *,
    what: str,
    customer_id: uuid.UUID | None,
) -> T:
    try:
        return await call_then_commit(uow, call, compensate, what=what, customer_id=customer_id)
    except GatewayError as error:
        raise refused(error) from None


def _active(gateway: StripeGateway | None, uow: UnitOfWork) -> StripeGateway | None:
    return None if gateway is None or uow.dry_run else gateway


async def known_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> str | None:
    """The customer's Stripe customer, as its newest subscription mirrored in Stripe holds it."""
    statement = (
        sa.select(SUBSCRIPTIONS.c.stripe_customer_id)
        .where(
            SUBSCRIPTIONS.c.customer_id == customer_id,
            SUBSCRIPTIONS.c.stripe_customer_id.is_not(None),
        )
        .order_by(SUBSCRIPTIONS.c.created_at.desc())
        .limit(1)
    )
    found: str | None = (await uow.session.execute(statement)).scalar_one_or_none()
    return found


async def _customer(uow: UnitOfWork, gateway: StripeGateway, customer_id: uuid.UUID) -> str:
    known = await known_customer(uow, customer_id)
    if known is not None:
        return known
    customer = await uow.session.get(Customer, customer_id)
    assert customer is not None
    return await _made(
        uow,
        lambda: gateway.ensure_customer(
            customer_id=encode(Customer.PREFIX, customer.id),
            name=customer.name,
            email=customer.billing_email or None,
            idempotency_key=uow.idempotency_key,
        ),
        gateway.undo_customer,
        what="customer",
        customer_id=customer_id,
    )


async def _price(uow: UnitOfWork, gateway: StripeGateway, subscription: Subscription) -> str:
    plan = await uow.session.get(Plan, subscription.plan_id)
    assert plan is not None
    price = PlanPrice(
        code=plan.code,
        version=subscription.plan_version,
        name=plan.name,
        amount=subscription.price_amount,
        currency=subscription.currency,
        interval=subscription.interval.value,
    )
    return await _asked(lambda: gateway.ensure_plan(price, idempotency_key=uow.idempotency_key))


# ---------------------------------------------------------------- subscriptions


async def subscription_created(
    uow: UnitOfWork, gateway: StripeGateway | None, subscription: Subscription
) -> None:
    """subscriptionCreate: the Stripe customer (once), the plan version's price, the
    subscription; their ids go on the local row."""
    stripe = _active(gateway, uow)
    if stripe is None:
        return
    customer = await _customer(uow, stripe, subscription.customer_id)
    price = await _price(uow, stripe, subscription)
    trial_end = (
        subscription.trial_end if subscription.status is SubscriptionStatus.TRIALING else None
    )
    created = await _made(
        uow,
        lambda: stripe.create_subscription(
            customer,
            price=price,
            subscription_id=encode(Subscription.PREFIX, subscription.id),
            trial_end=trial_end,
            idempotency_key=uow.idempotency_key,
        ),
        lambda made: stripe.undo_subscription(made.id),
        what="subscription",
        customer_id=subscription.customer_id,
    )
    subscription.stripe_customer_id = customer
    subscription.stripe_subscription_id = created.id
    await uow.session.flush()


async def plan_changed(
    uow: UnitOfWork,
    gateway: StripeGateway | None,
    subscription: Subscription,
    *,
    behavior: str,
    proration_date: datetime,
) -> None:
    """subscriptionChangePlan: the Stripe subscription's item moves to the new version's price,
    prorated as asked at the same moment as the local proration; undone by moving it back
    without proration."""
    stripe = _active(gateway, uow)
    if stripe is None or subscription.stripe_subscription_id is None:
        return
    stripe_id = subscription.stripe_subscription_id
    was = await _asked(lambda: stripe.retrieve_subscription(stripe_id))
    price = await _price(uow, stripe, subscription)

    async def move_back(_: object) -> None:
        if was.price is not None:
            await stripe.update_subscription(
                stripe_id,
                price=was.price,
                proration_behavior=ProrationBehavior.NONE,
                idempotency_key=None,
            )

    await _made(
        uow,
        lambda: stripe.update_subscription(
            stripe_id,
            price=price,
            proration_behavior=ProrationBehavior(behavior),
            proration_date=proration_date,
            idempotency_key=uow.idempotency_key,
        ),
        move_back,
        what="subscription",
        customer_id=subscription.customer_id,
    )


async def canceled(
    uow: UnitOfWork,
    gateway: StripeGateway | None,
    subscription: Subscription,
    *,
    at_period_end: bool,
) -> None:
    """subscriptionCancel: at the period end (undone by resuming) or now (which Stripe cannot
    undo: a failure after it is recorded as `billing.stripe_compensation_failed`)."""
    stripe = _active(gateway, uow)
    if stripe is None or subscription.stripe_subscription_id is None:
        return
    stripe_id = subscription.stripe_subscription_id

    async def undo(_: object) -> None:
        if not at_period_end:
            raise GatewayError("A canceled Stripe subscription cannot be revived.")
        await stripe.resume_subscription(stripe_id, idempotency_key=None)

    await _made(
        uow,
        lambda: stripe.cancel_subscription(
            stripe_id, at_period_end=at_period_end, idempotency_key=uow.idempotency_key
        ),
        undo,
        what="subscription",
        customer_id=subscription.customer_id,
    )


async def resumed(
    uow: UnitOfWork, gateway: StripeGateway | None, subscription: Subscription
) -> None:
    """subscriptionResume: the Stripe subscription no longer cancels at its period end."""
    stripe = _active(gateway, uow)
    if stripe is None or subscription.stripe_subscription_id is None:
        return
    stripe_id = subscription.stripe_subscription_id
    await _made(
        uow,
        lambda: stripe.resume_subscription(stripe_id, idempotency_key=uow.idempotency_key),
        lambda _: stripe.cancel_subscription(stripe_id, at_period_end=True, idempotency_key=None),
        what="subscription",
        customer_id=subscription.customer_id,
    )


# ---------------------------------------------------------------- coupons, credit


async def coupon_created(uow: UnitOfWork, gateway: StripeGateway | None, coupon: Coupon) -> None:
    """couponCreate: a Stripe coupon under the same code; its id goes on the local row."""
    stripe = _active(gateway, uow)
    if stripe is None:
        return
    spec = CouponSpec(
        code=coupon.code,
        duration=CouponDuration(coupon.duration.value),
        percent_off=None if coupon.percent_off_bp is None else coupon.percent_off_bp / 100,
        amount_off=coupon.amount_off,
        currency=coupon.currency,
        duration_in_months=coupon.duration_in_months,
        name=coupon.name,
        max_redemptions=coupon.max_redemptions,
        redeem_by=coupon.redeem_by,
    )
    coupon.stripe_coupon_id = await _made(
        uow,
        lambda: stripe.create_coupon(spec, idempotency_key=uow.idempotency_key),
        stripe.undo_coupon,
        what="coupon",
        customer_id=None,
    )
    await uow.session.flush()


async def credit_note_created(
    uow: UnitOfWork, gateway: StripeGateway | None, note: CreditNote, invoice: Invoice
) -> None:
    """creditNoteCreate on an invoice Stripe collects: the same credit note in Stripe (on an
    open invoice it lowers what is due; on a paid one it goes where `refundTo` says)."""
    stripe = _active(gateway, uow)
    if stripe is None or invoice.stripe_invoice_id is None:
        return
    stripe_invoice = invoice.stripe_invoice_id
    refund_to = None if invoice.status is InvoiceStatus.OPEN else RefundTo(note.refund_to.value)
    await _made(
        uow,
        lambda: stripe.create_credit_note(
            stripe_invoice,
            amount=note.amount,
            reason=CreditNoteReason(note.reason.value),
            memo=note.memo,
            refund_to=refund_to,
            idempotency_key=uow.idempotency_key,
        ),
        stripe.undo_credit_note,
        what="credit_note",
        customer_id=note.customer_id,
    )


async def credit_granted(
    uow: UnitOfWork,
    gateway: StripeGateway | None,
    *,
    customer_id: uuid.UUID,
    amount: int,
    currency: str,
    reason: str,
) -> None:
    """customerCreditGrant for a customer Stripe knows (one with a mirrored subscription): the
    same credit on its Stripe balance. A customer Stripe does not know keeps the grant local:
    Admiral applies its credit before it charges (`pay_invoice`)."""
    stripe = _active(gateway, uow)
    if stripe is None:
        return
    stripe_customer = await known_customer(uow, customer_id)
    if stripe_customer is None:
        return
    await _made(
        uow,
        lambda: stripe.grant_balance(
            stripe_customer,
            amount=amount,
            currency=currency,
            description=reason,
            idempotency_key=uow.idempotency_key,
        ),
        lambda _: stripe.undo_balance(stripe_customer, amount=amount, currency=currency),
        what="balance",
        customer_id=customer_id,
    )


# ---------------------------------------------------------------- payments


class MirroredCharges:
    """The gateway `pay_invoice` charges through when Stripe is configured (invoicePay).

    Charges the customer's Stripe customer (created once, and stored on its subscription),
    with the mutation's idempotency key; a collected charge stores the Stripe invoice id on the
    invoice and registers its refund as the compensation. A declined charge stays what
    `pay_invoice` makes of it: a FAILED payment attempt, the invoice OPEN (Stripe's message in
    the attempt), which is the truth, not a claim Stripe refused."""

    name = "stripe"

    def __init__(self, uow: UnitOfWork, gateway: StripeGateway) -> None:
        self.uow, self.gateway = uow, gateway

    async def charge(self, charge: ChargeRequest, *, idempotency_key: str | None) -> ChargeResult:
        uow = self.uow
        key = uow.idempotency_key or idempotency_key
        customer = await known_customer(uow, charge.customer_id)
        if customer is None:
            customer = await _customer(uow, self.gateway, charge.customer_id)
            await _remember_customer(uow, charge.customer_id, customer)
        request = ChargeRequest(
            invoice_id=charge.invoice_id,
            number=charge.number,
            customer_id=charge.customer_id,
            amount=charge.amount,
            currency=charge.currency,
            description=charge.description,
            provider_customer_id=customer,
        )
        result = await self.gateway.charge(request, idempotency_key=key)
        invoice = await uow.session.get(Invoice, charge.invoice_id)
        if invoice is not None and result.provider_payment_id is not None:
            invoice.stripe_invoice_id = result.provider_payment_id
        if result.succeeded and result.provider_payment_id is not None:
            paid = result.provider_payment_id

            async def collected() -> str:
                return paid

            await call_then_commit(
                uow,
                collected,
                lambda stripe_invoice: self.gateway.undo_charge(
                    stripe_invoice, amount=charge.amount
                ),
                what="charge",
                customer_id=charge.customer_id,
            )
        return result


async def _remember_customer(uow: UnitOfWork, customer_id: uuid.UUID, stripe_id: str) -> None:
    """Keep a Stripe customer made for a charge on the customer's live subscription, if any."""
    statement = (
        sa.update(SUBSCRIPTIONS)
        .where(
            SUBSCRIPTIONS.c.customer_id == customer_id,
            SUBSCRIPTIONS.c.status != SubscriptionStatus.CANCELED.value,
            SUBSCRIPTIONS.c.stripe_customer_id.is_(None),
        )
        .values(stripe_customer_id=stripe_id)
    )
    await uow.session.execute(statement)


def charges_for(uow: UnitOfWork, settings: Settings) -> MirroredCharges | None:
    gateway = stripe_of(settings)
    return None if gateway is None else MirroredCharges(uow, gateway)


def charging_gateway(uow: UnitOfWork, settings: Settings) -> BillingGateway:
    """What charges an invoice in `uow`: Stripe (through the mirror, which stores the Stripe
    customer and invoice ids) when configured, else the local ledger; a dry run never
    reaches Stripe, its preview charges the local ledger."""
    mirrored = None if uow.dry_run else charges_for(uow, settings)
    return mirrored if mirrored is not None else LocalLedgerGateway()
