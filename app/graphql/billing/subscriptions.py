"""Subscription mutations (master only); a session admin reads their own customers'
subscription through `Customer.subscription`."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.billing.coupons import service as coupons
from app.billing.gateway import mirror
from app.billing.renewal.changes import invoice_change
from app.billing.renewal.testclock import gateway_for_customer
from app.billing.subscriptions import service
from app.graphql.billing.billing_time import customer_time
from app.graphql.billing.inputs import PlanLimitsInput
from app.graphql.billing.invoice_types import Invoice
from app.graphql.billing.types import ProrationLine, Subscription
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.kit import clock
from app.kit.uow import UnitOfWork


async def _subscription(uow: UnitOfWork, pk: uuid.UUID) -> Subscription:
    return await read_back(uow.session, Subscription, pk)


@strawberry.input
class SubscriptionCreateInput:
    customer_id: strawberry.ID
    plan_code: str
    trial_days: int | None = strawberry.field(
        default=None, description="Overrides the plan's trial days (0: no trial)."
    )
    billing_cycle_anchor: datetime | None = strawberry.field(
        default=None,
        description="When the first full period starts (within one interval): the first "
        "period runs from now to the anchor.",
    )
    coupon_code: str | None = strawberry.field(
        default=None,
        description="Redeem this coupon for the new subscription (its refusals name "
        "`couponCode`; nothing is created when it is refused).",
    )


@strawberry.type
class SubscriptionCreatePayload(Payload):
    subscription: Subscription | None = None
    customer: Customer | None = None


@mutation(
    master_writer, "Subscribe a customer to a plan's latest version; one live subscription each."
)
async def subscription_create(
    info: Info, input: SubscriptionCreateInput, uow: UnitOfWork
) -> SubscriptionCreatePayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        created = await service.create_subscription(
            uow,
            customer_id=customer_id_of(input.customer_id),
            plan_code=input.plan_code,
            trial_days=input.trial_days,
            billing_cycle_anchor=input.billing_cycle_anchor,
        )
        if input.coupon_code is not None:
            await coupons.redeem(
                uow,
                customer_id=created.customer_id,
                code=input.coupon_code,
                plan_code=input.plan_code,
                subscription_id=created.id,
                code_field="couponCode",
            )
        await mirror.subscription_created(uow, mirror.stripe_of(info.context.settings), created)
        return SubscriptionCreatePayload(
            subscription=await _subscription(uow, created.id),
            customer=await read_back(uow.session, Customer, created.customer_id),
        )


@strawberry.input
class SubscriptionChangePlanInput:
    customer_id: strawberry.ID
    plan_code: str
    proration_behavior: service.ProrationBehavior = service.ProrationBehavior.CREATE_PRORATIONS
    proration_date: datetime | None = strawberry.field(
        default=None, description="The instant prorated from (default now; in the period)."
    )


@strawberry.type
class SubscriptionChangePlanPayload(Payload):
    subscription: Subscription | None = None
    proration_lines: list[ProrationLine] = strawberry.field(
        default_factory=list,
        description="Credit for the unused time on the old price, charge for the rest on the "
        "new one (none with NONE); with dryRun, the preview.",
    )
    invoice: Invoice | None = strawberry.field(
        default=None,
        description="With ALWAYS_INVOICE: the invoice of the proration lines, finalized and "
        "paid at once (with dryRun, its preview); null otherwise or when nothing is prorated.",
    )


@mutation(
    master_writer,
    "Move a subscription to another plan (its latest version), prorating per second.",
)
async def subscription_change_plan(
    info: Info, input: SubscriptionChangePlanInput, uow: UnitOfWork
) -> SubscriptionChangePlanPayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        change = await service.change_plan(
            uow,
            customer_id=customer_id_of(input.customer_id),
            plan_code=input.plan_code,
            behavior=input.proration_behavior,
            proration_date=input.proration_date,
        )
        await mirror.plan_changed(
            uow,
            mirror.stripe_of(info.context.settings),
            change.subscription,
            behavior=input.proration_behavior.value,
            proration_date=input.proration_date or clock.now(),
        )
        currency = change.subscription.currency
        invoice = None
        if input.proration_behavior is service.ProrationBehavior.ALWAYS_INVOICE:
            customer_id = change.subscription.customer_id
            gateway = await gateway_for_customer(
                uow, customer_id, mirror.charging_gateway(uow, info.context.settings)
            )
            invoice = await invoice_change(uow, change, gateway, uow.idempotency_key)
        return SubscriptionChangePlanPayload(
            subscription=await _subscription(uow, change.subscription.id),
            proration_lines=[ProrationLine.of(line, currency) for line in change.lines],
            invoice=None if invoice is None else await read_back(uow.session, Invoice, invoice.id),
        )


@strawberry.input
class SubscriptionTrialSetInput:
    customer_id: strawberry.ID
    trial_end: datetime = strawberry.field(description="In the past or now: end the trial now.")


@strawberry.type
class SubscriptionTrialSetPayload(Payload):
    subscription: Subscription | None = None


@mutation(master_writer, "Start, extend or end a subscription's trial.")
async def subscription_trial_set(
    info: Info, input: SubscriptionTrialSetInput, uow: UnitOfWork
) -> SubscriptionTrialSetPayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        subscription = await service.set_trial(
            uow, customer_id=customer_id_of(input.customer_id), trial_end=input.trial_end
        )
        return SubscriptionTrialSetPayload(subscription=await _subscription(uow, subscription.id))


@strawberry.input
class SubscriptionCancelInput:
    customer_id: strawberry.ID
    at_period_end: bool = strawberry.field(
        default=True, description="False: cancel now (the plan ends at once)."
    )
    reason: str | None = strawberry.field(default=None, description="Up to 500 characters.")


@strawberry.type
class SubscriptionCancelPayload(Payload):
    subscription: Subscription | None = None


@mutation(master_writer, "Cancel a subscription at its period end (or now).")
async def subscription_cancel(
    info: Info, input: SubscriptionCancelInput, uow: UnitOfWork
) -> SubscriptionCancelPayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        subscription = await service.cancel(
            uow,
            customer_id=customer_id_of(input.customer_id),
            at_period_end=input.at_period_end,
            reason=input.reason,
        )
        await mirror.canceled(
            uow,
            mirror.stripe_of(info.context.settings),
            subscription,
            at_period_end=input.at_period_end,
        )
        return SubscriptionCancelPayload(subscription=await _subscription(uow, subscription.id))


@strawberry.input
class SubscriptionResumeInput:
    customer_id: strawberry.ID


@strawberry.type
class SubscriptionResumePayload(Payload):
    subscription: Subscription | None = None


@mutation(master_writer, "Undo a cancellation at period end.")
async def subscription_resume(
    info: Info, input: SubscriptionResumeInput, uow: UnitOfWork
) -> SubscriptionResumePayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        subscription = await service.resume(uow, customer_id=customer_id_of(input.customer_id))
        await mirror.resumed(uow, mirror.stripe_of(info.context.settings), subscription)
        return SubscriptionResumePayload(subscription=await _subscription(uow, subscription.id))


@strawberry.input
class SubscriptionLimitsOverrideInput:
    customer_id: strawberry.ID
    limits: PlanLimitsInput = strawberry.field(
        description="The limits to override (null: unlimited); none given removes the override."
    )
    reason: str


@strawberry.type
class SubscriptionLimitsOverridePayload(Payload):
    subscription: Subscription | None = None
    customer: Customer | None = None


@mutation(master_writer, "Override some of the plan's limits for one customer.")
async def subscription_limits_override(
    info: Info, input: SubscriptionLimitsOverrideInput, uow: UnitOfWork
) -> SubscriptionLimitsOverridePayload:
    subscription = await service.override_limits(
        uow,
        customer_id=customer_id_of(input.customer_id),
        limits=input.limits.limits(),
        given=input.limits.given_names(),
        reason=input.reason,
    )
    return SubscriptionLimitsOverridePayload(
        subscription=await _subscription(uow, subscription.id),
        customer=await read_back(uow.session, Customer, subscription.customer_id),
    )


@strawberry.input
class BillingOverrideSetInput:
    customer_id: strawberry.ID
    plan_code: str | None = strawberry.field(
        default=None, description="Also move to this plan (no proration)."
    )
    enabled: bool
    reason: str


@strawberry.type
class BillingOverrideSetPayload(Payload):
    subscription: Subscription | None = None


@mutation(
    master_writer,
    "Set (or clear) the admin override: while set, payment-provider webhooks do not change "
    "the subscription (skipped events are listed on the customer).",
)
async def billing_override_set(
    info: Info, input: BillingOverrideSetInput, uow: UnitOfWork
) -> BillingOverrideSetPayload:
    subscription = await service.set_billing_override(
        uow,
        customer_id=customer_id_of(input.customer_id),
        plan_code=input.plan_code,
        enabled=input.enabled,
        reason=input.reason,
    )
    return BillingOverrideSetPayload(subscription=await _subscription(uow, subscription.id))
