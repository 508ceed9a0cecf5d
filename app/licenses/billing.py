"""Coupling with billing: a customer's licenses follow its subscription.

- CANCELED (and no live subscription): its licenses are held (`billing_suspended_at`).
- PAST_DUE: held once it has been past due longer than the grace period
  (`ADMIRAL_LICENSE_PAST_DUE_GRACE_DAYS`); since when is noted in `license_billing_states`.
- anything else (paying, trialing, a new subscription): the hold is lifted.
A customer without any subscription is not held: licenses may be sold outside subscriptions.

Two ways in, both running `reconcile`, which is idempotent:
1. the hook `app.kit.hooks.subscription_changed`, which the subscriptions service calls inside
   its unit of work: a cancellation suspends the licenses in the same transaction;
2. the loop `app/licenses/loops.py`, which judges the grace periods as time passes and catches
   any status change made without the hook.
Each license changed gets its own audit event, attributed to the system actor
`license-billing`, and an outbox event `license.suspended` / `license.reinstated`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock, hooks
from app.kit.actor import Actor
from app.kit.uow import UnitOfWork
from app.licenses import repository
from app.licenses.service import event_data, record, view
from app.models.billing import SubscriptionStatus
from app.models.licenses import LICENSE_BILLING_STATES, LICENSES, LicenseBillingState
from app.models.tables import SUBSCRIPTIONS

ACTOR = Actor.system("license-billing")


def subscription_status_of(customer: Any) -> sa.ScalarSelect[Any]:
    """The customer's billing state: its live subscription's status, else CANCELED when it
    had one, else null."""
    live = (
        sa.select(SUBSCRIPTIONS.c.status)
        .where(SUBSCRIPTIONS.c.customer_id == customer, SUBSCRIPTIONS.c.status != "CANCELED")
        .limit(1)
        .scalar_subquery()
    )
    ended = (
        sa.select(sa.literal("CANCELED"))
        .where(SUBSCRIPTIONS.c.customer_id == customer)
        .limit(1)
        .scalar_subquery()
    )
    return sa.select(sa.func.coalesce(live, ended)).scalar_subquery()


async def _status(session: AsyncSession, customer_id: uuid.UUID) -> str | None:
    value = await session.scalar(sa.select(subscription_status_of(customer_id)))
    return str(value) if value is not None else None


async def customer_held(session: AsyncSession, customer_id: uuid.UUID) -> bool:
    """Whether billing holds this customer's licenses now (a new license is held too)."""
    statement = sa.select(sa.func.count()).where(
        LICENSES.c.customer_id == customer_id,
        LICENSES.c.billing_suspended_at.isnot(None),
        LICENSES.c.revoked_at.is_(None),
    )
    return bool(await session.scalar(statement))


def _should_hold(status: str | None, since: datetime | None, grace: timedelta | None) -> bool:
    if status == SubscriptionStatus.CANCELED.value:
        return True
    if status == SubscriptionStatus.PAST_DUE.value and grace is not None and since is not None:
        return clock.now() >= since + grace
    return False


async def _past_due_since(uow: UnitOfWork, customer_id: uuid.UUID, status: str | None) -> Any:
    state = await uow.session.get(LicenseBillingState, customer_id, with_for_update=True)
    now = clock.now()
    if status == SubscriptionStatus.PAST_DUE.value:
        if state is None:
            state = LicenseBillingState(customer_id=customer_id, past_due_since=now, updated_at=now)
            uow.session.add(state)
        elif state.past_due_since is None:
            state.past_due_since, state.updated_at = now, now
        return state.past_due_since
    if state is not None and state.past_due_since is not None:
        state.past_due_since, state.updated_at = None, now
    return None


async def reconcile(uow: UnitOfWork, customer_id: uuid.UUID, grace: timedelta | None) -> int:
    """Hold or release the customer's licenses as its subscription says; how many changed.

    `grace` None (the hook) notes a past due subscription without judging its grace: the
    loop, which has the setting, does that."""
    await uow.session.flush()  # the caller's pending change (a cancellation) is what counts
    status = await _status(uow.session, customer_id)
    since = await _past_due_since(uow, customer_id, status)
    hold = _should_hold(status, since, grace)
    if status == SubscriptionStatus.PAST_DUE.value and grace is None:
        return 0  # neither hold nor release: the loop judges the grace period
    changed = 0
    now = clock.now()
    for license in await repository.licenses_of_customer(uow.session, customer_id):
        if hold == (license.billing_suspended_at is not None):
            continue
        before = view(license)
        license.billing_suspended_at = now if hold else None
        license.updated_at = now
        action = "license.billing_suspend" if hold else "license.billing_reinstate"
        record(uow, action, license, before, actor=ACTOR)
        event = "license.suspended" if hold else "license.reinstated"
        data = event_data(license) | {"reason": f"subscription {str(status).lower()}"}
        uow.publish(event, data, customer_id=customer_id)
        changed += 1
    await uow.session.flush()
    return changed


async def on_subscription_changed(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    await reconcile(uow, customer_id, None)


hooks.on_subscription_changed(on_subscription_changed)


def candidates_statement() -> sa.Select[Any]:
    """Customers whose licenses may need holding or releasing: those with licenses not
    revoked, with their billing state and how many are held and free."""
    status = subscription_status_of(LICENSES.c.customer_id).label("status")
    held = sa.func.count(LICENSES.c.billing_suspended_at).label("held")
    total = sa.func.count().label("total")
    since = (
        sa.select(LICENSE_BILLING_STATES.c.past_due_since)
        .where(LICENSE_BILLING_STATES.c.customer_id == LICENSES.c.customer_id)
        .scalar_subquery()
        .label("since")
    )
    return (
        sa.select(LICENSES.c.customer_id, status, since, held, total)
        .where(LICENSES.c.revoked_at.is_(None))
        .group_by(LICENSES.c.customer_id)
    )


def needs_reconcile(row: Any, grace: timedelta) -> bool:
    if row.status == SubscriptionStatus.PAST_DUE.value and row.since is None:
        return True
    hold = _should_hold(row.status, row.since, grace)
    return (hold and row.held < row.total) or (not hold and row.held > 0)
