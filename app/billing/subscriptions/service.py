"""Subscription rules: create, change plan (with proration), trials, cancel, resume, overrides.

`customers.plan_id` is kept equal to the plan of the customer's live subscription (none when
it has none), written here in the same unit of work: subscriptions are the source of truth,
the column is what the customer lists filter and join on.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.billing import proration
from app.billing.plans import repository as plans
from app.billing.plans.service import MAX_TRIAL_DAYS, checked_limits, plan_or_not_found
from app.billing.plans.service import Limits as PlanLimits
from app.billing.subscriptions import history, repository
from app.billing.subscriptions.limits import LIMIT_NAMES
from app.customers.service.common import customer_in_scope
from app.kit import clock, hooks
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.billing import (
    PendingInvoiceItem,
    Plan,
    PlanStatus,
    PlanVersion,
    Subscription,
    SubscriptionStatus,
)
from app.models.customers import Customer

MAX_REASON = 500


class ProrationBehavior(enum.StrEnum):
    CREATE_PRORATIONS = "CREATE_PRORATIONS"  # lines wait for the next invoice
    ALWAYS_INVOICE = "ALWAYS_INVOICE"  # lines are invoiced at once (`app.billing.renewal`)
    NONE = "NONE"  # no proration: the new price applies from the next period


def subscription_view(subscription: Subscription, plan_code: str) -> dict[str, Any]:
    return {
        "planCode": plan_code,
        "planVersion": subscription.plan_version,
        "amount": subscription.price_amount,
        "currency": subscription.currency,
        "interval": subscription.interval,
        "status": subscription.status,
        "trialEnd": subscription.trial_end,
        "currentPeriodStart": subscription.current_period_start,
        "currentPeriodEnd": subscription.current_period_end,
        "cancelAtPeriodEnd": subscription.cancel_at_period_end,
        "cancelReason": subscription.cancel_reason,
        "limitsOverride": subscription.limits_override,
        "billingOverride": subscription.billing_override,
    }


def _event_data(subscription: Subscription, plan_code: str) -> dict[str, Any]:
    return {
        "subscriptionId": encode(Subscription.PREFIX, subscription.id),
        "customerId": encode(Customer.PREFIX, subscription.customer_id),
        **subscription_view(subscription, plan_code),
    }


def _record(
    uow: UnitOfWork,
    action: str,
    subscription: Subscription,
    plan_code: str,
    before: dict[str, Any],
    event: str | None = "subscription.updated",
) -> None:
    history.record_change(uow, action, subscription, before)  # the MRR history (metrics)
    uow.record(
        action,
        "Subscription",
        encode(Subscription.PREFIX, subscription.id),
        before=before,
        after=subscription_view(subscription, plan_code),
        customer_id=subscription.customer_id,
    )
    if event is not None:
        uow.publish(
            event, _event_data(subscription, plan_code), customer_id=subscription.customer_id
        )
    # Whatever changed (plan, status, limits), what is derived from the customer follows
    # (its API keys' limits and enabled flag), once, in this same transaction.
    hooks.customer_changed_at_commit(uow, subscription.customer_id)


def _reason(reason: str, field: str = "reason") -> str:
    return checked_text(reason, field, MAX_REASON)


async def _current_version(uow: UnitOfWork, plan: Plan) -> PlanVersion:
    version = await plans.version_of(uow.session, plan.id, plan.version)
    if version is None:  # every plan is written with its version; a gap is a bug
        raise RuntimeError(f"plan {plan.code} lacks its version {plan.version}")
    return version


async def _plan_code(uow: UnitOfWork, subscription: Subscription) -> str:
    plan = await uow.session.get(Plan, subscription.plan_id)
    assert plan is not None
    return plan.code


async def live_subscription(uow: UnitOfWork, customer_id: uuid.UUID) -> Subscription:
    """The live subscription of a customer in the caller's scope (NOT_FOUND outside it)."""
    customer = await customer_in_scope(uow, customer_id)
    subscription = await repository.live_subscription_of(uow.session, customer.id)
    if subscription is None:
        raise UserInputError(
            "This customer has no live subscription.", ErrorCode.INVALID_STATE, "customerId"
        )
    return subscription


def _take_version(subscription: Subscription, plan: Plan, version: PlanVersion) -> None:
    subscription.plan_id = plan.id
    subscription.plan_version_id = version.id
    subscription.plan_version = version.version
    subscription.price_amount = version.price_amount
    subscription.currency = version.currency
    subscription.interval = version.interval


async def _set_customer_plan(
    uow: UnitOfWork, customer_id: uuid.UUID, plan_id: uuid.UUID | None
) -> None:
    customer = await uow.session.get(Customer, customer_id)
    assert customer is not None
    if customer.plan_id != plan_id:
        customer.plan_id = plan_id
        customer.updated_at = clock.now()


def _refuse_archived(plan: Plan) -> None:
    if plan.status is PlanStatus.ARCHIVED:
        raise UserInputError(
            "This plan is archived: it takes no new subscriptions.",
            ErrorCode.PLAN_ARCHIVED,
            "planCode",
        )


# ---------------------------------------------------------------- create


async def create_subscription(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    plan_code: str,
    trial_days: int | None = None,
    billing_cycle_anchor: datetime | None = None,
) -> Subscription:
    """A new live subscription on the plan's latest version: TRIALING for the trial days
    given (else the plan's), ACTIVE otherwise; one live subscription per customer."""
    if trial_days is not None and not 0 <= trial_days <= MAX_TRIAL_DAYS:
        raise UserInputError(
            f"Trial days run from 0 to {MAX_TRIAL_DAYS}.", ErrorCode.INVALID, "trialDays"
        )
    customer = await customer_in_scope(uow, customer_id)
    plan = await plan_or_not_found(uow, plan_code, "planCode")
    _refuse_archived(plan)
    if await repository.live_subscription_of(uow.session, customer.id) is not None:
        raise UserInputError(
            "This customer already has a live subscription: change its plan instead.",
            ErrorCode.CONFLICT,
            "customerId",
        )
    now = clock.now()
    natural_end = proration.period_end(now, plan.interval)
    anchor = now
    if billing_cycle_anchor is not None:
        anchor = clock.as_utc(billing_cycle_anchor)
        if not now < anchor <= natural_end:
            raise UserInputError(
                "The billing cycle anchor lies after now and within one billing interval.",
                ErrorCode.INVALID,
                "billingCycleAnchor",
            )
    days = plan.trial_days if trial_days is None else trial_days
    version = await _current_version(uow, plan)
    subscription = Subscription(
        customer_id=customer.id,
        plan_id=plan.id,
        plan_version_id=version.id,
        plan_version=version.version,
        price_amount=version.price_amount,
        currency=version.currency,
        interval=version.interval,
        status=SubscriptionStatus.ACTIVE,
        current_period_start=now,
        # A later anchor makes a first, shorter period ending at the anchor.
        current_period_end=anchor if billing_cycle_anchor is not None else natural_end,
        billing_cycle_anchor=anchor,
        created_at=now,
        updated_at=now,
    )
    if days > 0:
        trial_end = now + timedelta(days=days)
        subscription.status = SubscriptionStatus.TRIALING
        subscription.trial_start = now
        subscription.trial_end = trial_end
        subscription.current_period_end = trial_end
        if billing_cycle_anchor is None:
            subscription.billing_cycle_anchor = trial_end
    uow.session.add(subscription)
    await uow.session.flush()
    await _set_customer_plan(uow, customer.id, plan.id)
    await uow.session.flush()
    _record(uow, "subscription.create", subscription, plan.code, {}, "subscription.created")
    return subscription


async def align_with_customer_plan(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """Make the live subscription match `customers.plan_id` as `customerCreate`/`customerUpdate`
    set it (their `planCode`): subscribe, or move without proration."""
    customer = await customer_in_scope(uow, customer_id)
    if customer.plan_id is None:
        return
    plan = await uow.session.get(Plan, customer.plan_id)
    assert plan is not None
    subscription = await repository.live_subscription_of(uow.session, customer.id)
    if subscription is None:
        await create_subscription(uow, customer_id=customer.id, plan_code=plan.code, trial_days=0)
    elif subscription.plan_id != plan.id:
        await change_plan(
            uow,
            customer_id=customer.id,
            plan_code=plan.code,
            behavior=ProrationBehavior.NONE,
        )


# ---------------------------------------------------------------- change plan


@dataclass(frozen=True, slots=True)
class PlanChange:
    subscription: Subscription
    lines: list[proration.ProrationLine]
    pending_items: list[PendingInvoiceItem]


def proration_lines(
    subscription: Subscription, old_name: str, new_plan: Plan, new: PlanVersion, at: datetime
) -> tuple[list[proration.ProrationLine], datetime, datetime]:
    """The lines of moving `subscription` to `new` at `at`, and the period after the move.

    Same interval: both prices are prorated over what is left of the current period. Another
    interval: the period restarts at `at`, so the old price is credited for the unused time
    and the new one charged for a full new period."""
    start, end = subscription.current_period_start, subscription.current_period_end
    old_length = proration.seconds(end - start)
    old = proration.Priced(
        f"{old_name} (v{subscription.plan_version})", subscription.price_amount, old_length
    )
    if subscription.status is SubscriptionStatus.TRIALING:
        return [], start, end  # a trial is free: nothing to prorate
    if new.interval == subscription.interval:
        priced = proration.Priced(f"{new_plan.name} (v{new.version})", new.price_amount, old_length)
        return proration.prorate(old, priced, at, start, end), start, end
    new_end = proration.period_end(at, new.interval)
    remaining = proration.seconds(end - at)
    credit = proration.round_half_even(proration.exact_lines(old, old, remaining)[0])
    lines = [
        proration.ProrationLine(f"Unused time on {old.description}", at, end, credit),
        proration.ProrationLine(
            f"{new_plan.name} (v{new.version}) from {at.date().isoformat()}",
            at,
            new_end,
            new.price_amount,
        ),
    ]
    return lines, at, new_end


async def change_plan(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    plan_code: str,
    behavior: ProrationBehavior,
    proration_date: datetime | None = None,
    to_version: PlanVersion | None = None,
    allow_archived: bool = False,
) -> PlanChange:
    subscription = await live_subscription(uow, customer_id)
    plan = await plan_or_not_found(uow, plan_code, "planCode")
    if not allow_archived and plan.id != subscription.plan_id:
        _refuse_archived(plan)
    version = to_version or await _current_version(uow, plan)
    if plan.id == subscription.plan_id and version.version == subscription.plan_version:
        raise UserInputError(
            "The subscription is already on this plan and version.",
            ErrorCode.INVALID_STATE,
            "planCode",
        )
    if version.currency != subscription.currency:
        raise UserInputError(
            f"This plan is priced in {version.currency}, the subscription in "
            f"{subscription.currency}: cancel and subscribe anew.",
            ErrorCode.CURRENCY_MISMATCH,
            "planCode",
        )
    now = clock.now()
    at = now if proration_date is None else clock.as_utc(proration_date)
    if not subscription.current_period_start <= at <= subscription.current_period_end:
        raise UserInputError(
            "The proration date lies within the current period.",
            ErrorCode.INVALID,
            "prorationDate",
        )
    old_code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, old_code)
    old_plan = await uow.session.get(Plan, subscription.plan_id)
    assert old_plan is not None
    lines, start, end = proration_lines(subscription, old_plan.name, plan, version, at)
    if behavior is ProrationBehavior.NONE:
        lines = []
    if (start, end) != (subscription.current_period_start, subscription.current_period_end):
        subscription.billing_cycle_anchor = start  # the period restarts: so does the cycle
    _take_version(subscription, plan, version)
    subscription.current_period_start, subscription.current_period_end = start, end
    subscription.updated_at = now
    items = [
        PendingInvoiceItem(
            customer_id=subscription.customer_id,
            subscription_id=subscription.id,
            description=line.description,
            amount=line.amount,
            currency=subscription.currency,
            period_start=line.period_start,
            period_end=line.period_end,
            created_at=now,
        )
        for line in lines
        if line.amount != 0
    ]
    uow.session.add_all(items)
    await _set_customer_plan(uow, subscription.customer_id, plan.id)
    await uow.session.flush()
    _record(uow, "subscription.change_plan", subscription, plan.code, before)
    return PlanChange(subscription, lines, items)


# ---------------------------------------------------------------- trial, cancel, resume


async def set_trial(
    uow: UnitOfWork, *, customer_id: uuid.UUID, trial_end: datetime
) -> Subscription:
    """Start or extend a trial to `trial_end`, or end it now (a `trial_end` not in the future)."""
    end = clock.as_utc(trial_end)
    now = clock.now()
    if end > now + timedelta(days=MAX_TRIAL_DAYS):
        raise UserInputError(
            f"A trial ends within {MAX_TRIAL_DAYS} days.", ErrorCode.INVALID, "trialEnd"
        )
    subscription = await live_subscription(uow, customer_id)
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    if end <= now:
        if subscription.status is not SubscriptionStatus.TRIALING:
            raise UserInputError(
                "This subscription is not trialing.", ErrorCode.INVALID_STATE, "trialEnd"
            )
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.trial_end = now
        subscription.current_period_start = now
        subscription.current_period_end = proration.period_end(now, subscription.interval)
        subscription.billing_cycle_anchor = now
    else:
        subscription.status = SubscriptionStatus.TRIALING
        subscription.trial_start = subscription.trial_start or now
        subscription.trial_end = end
        subscription.current_period_end = end
        subscription.billing_cycle_anchor = end
    subscription.updated_at = now
    await uow.session.flush()
    _record(uow, "subscription.trial_set", subscription, code, before)
    return subscription


async def cancel(
    uow: UnitOfWork, *, customer_id: uuid.UUID, at_period_end: bool, reason: str | None
) -> Subscription:
    text = checked_text(reason or "", "reason", MAX_REASON, required=False) or None
    subscription = await live_subscription(uow, customer_id)
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    now = clock.now()
    subscription.cancel_reason = text
    subscription.updated_at = now
    if at_period_end:
        if subscription.cancel_at_period_end:
            raise UserInputError(
                "This subscription already cancels at its period end.",
                ErrorCode.INVALID_STATE,
                "atPeriodEnd",
            )
        subscription.cancel_at_period_end = True
        await uow.session.flush()
        _record(uow, "subscription.cancel", subscription, code, before)
        return subscription
    subscription.status = SubscriptionStatus.CANCELED
    subscription.canceled_at = now
    subscription.cancel_at_period_end = False
    await _set_customer_plan(uow, subscription.customer_id, None)
    await uow.session.flush()
    _record(uow, "subscription.cancel", subscription, code, before, "subscription.canceled")
    return subscription


async def resume(uow: UnitOfWork, *, customer_id: uuid.UUID) -> Subscription:
    subscription = await live_subscription(uow, customer_id)
    if not subscription.cancel_at_period_end:
        raise UserInputError(
            "This subscription is not set to cancel.", ErrorCode.INVALID_STATE, "customerId"
        )
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    subscription.cancel_at_period_end = False
    subscription.cancel_reason = None
    subscription.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "subscription.resume", subscription, code, before)
    return subscription


# ---------------------------------------------------------------- overrides


def _override_json(limits: PlanLimits, given: frozenset[str]) -> dict[str, Any]:
    checked = checked_limits(limits)
    view = checked.view()
    return {name: view[name] for name in sorted(given & LIMIT_NAMES)}


async def override_limits(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    limits: PlanLimits,
    given: frozenset[str],
    reason: str,
) -> Subscription:
    """Override the limits named in `given` (a null value there means unlimited); an empty
    `given` removes the override. The plan's limits apply to every limit not named."""
    text = _reason(reason)
    override = _override_json(limits, given)
    subscription = await live_subscription(uow, customer_id)
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    subscription.limits_override = override or None
    subscription.limits_override_reason = text if override else None
    subscription.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "subscription.limits_override", subscription, code, before)
    return subscription


async def set_billing_override(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    plan_code: str | None,
    enabled: bool,
    reason: str,
) -> Subscription:
    """Set the admin override flag (and, if given, the plan, without proration): while it is
    set, no payment-provider webhook changes this subscription."""
    text = _reason(reason)
    subscription = await live_subscription(uow, customer_id)
    if plan_code is not None:
        plan = await plan_or_not_found(uow, plan_code, "planCode")
        if plan.id != subscription.plan_id or plan.version != subscription.plan_version:
            change = await change_plan(
                uow,
                customer_id=customer_id,
                plan_code=plan_code,
                behavior=ProrationBehavior.NONE,
                allow_archived=True,
            )
            subscription = change.subscription
    code = await _plan_code(uow, subscription)
    before = subscription_view(subscription, code)
    now = clock.now()
    if subscription.billing_override and not enabled:
        # Stripe events from before this moment describe a state older than the one the
        # operator hands back: webhook rule 3 refuses them (`billing_override_cleared_at`).
        subscription.billing_override_cleared_at = now
    subscription.billing_override = enabled
    subscription.billing_override_reason = text
    subscription.updated_at = now
    await uow.session.flush()
    _record(uow, "subscription.billing_override", subscription, code, before)
    return subscription


# ---------------------------------------------------------------- migrating a plan's subscribers


@dataclass(frozen=True, slots=True)
class Move:
    subscription: Subscription
    from_version: int
    to_version: int
    lines: list[proration.ProrationLine]


async def migrate_subscriptions(
    uow: UnitOfWork,
    *,
    plan_code: str,
    from_version: int | None,
    behavior: ProrationBehavior,
) -> tuple[Plan, list[Move]]:
    """Move the plan's live subscriptions on older versions (or on `from_version` only) to its
    latest version, prorating as `behavior` says; a dry run lists the same moves."""
    plan = await plan_or_not_found(uow, plan_code, "planCode")
    if from_version is not None and not 1 <= from_version < plan.version:
        raise UserInputError(
            f"Give an older version of this plan (1 to {plan.version - 1}).",
            ErrorCode.INVALID,
            "fromVersion",
        )
    latest = await _current_version(uow, plan)
    found = await repository.live_subscriptions_of_plan(
        uow.session, plan.id, below_version=plan.version, from_version=from_version
    )
    moves = []
    for subscription in found:
        was = subscription.plan_version
        change = await change_plan(
            uow,
            customer_id=subscription.customer_id,
            plan_code=plan.code,
            behavior=behavior,
            to_version=latest,
            allow_archived=True,
        )
        moves.append(Move(change.subscription, was, latest.version, change.lines))
    return plan, moves
