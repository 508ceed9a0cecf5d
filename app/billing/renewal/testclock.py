"""Test clocks (only with `ADMIRAL_BILLING_TEST_CLOCKS`): a customer's own billing time, moved
forward on demand, running the renewal loop's steps for that customer at the times they fall
due (period ends, trial ends, payment retries), in one unit of work, so a dry run lists the
invoices an advance would create and writes nothing.

A customer with a test clock is left alone by the background loop: only advancing its clock
renews it (as with Stripe's test clocks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.billing.gateway.base import BillingGateway
from app.billing.gateway.local import DecliningGateway
from app.billing.renewal import repository
from app.billing.renewal.service import Policy, claim_and_renew, claim_and_retry
from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models.billing import BillingTestClock, Subscription
from app.models.customers import Customer
from app.models.invoices import Invoice
from app.models.tables import SUBSCRIPTIONS

MAX_ADVANCE = timedelta(days=366 * 5)
MAX_STEPS = 200


@dataclass
class Advance:
    test_clock: BillingTestClock
    invoices: list[Invoice] = field(default_factory=list)
    steps: int = 0


def _view(test_clock: BillingTestClock) -> dict[str, object]:
    return {
        "frozenTime": test_clock.frozen_time,
        "declinePayments": test_clock.decline_payments,
    }


async def _clock_of(uow: UnitOfWork, customer: Customer) -> tuple[BillingTestClock, bool]:
    found = await repository.test_clock_of(uow.session, customer.id)
    if found is not None:
        return found, False
    now = clock.now()
    test_clock = BillingTestClock(customer_id=customer.id, frozen_time=now, updated_at=now)
    uow.session.add(test_clock)
    await uow.session.flush()
    return test_clock, True


def _record(
    uow: UnitOfWork, action: str, test_clock: BillingTestClock, before: dict[str, object]
) -> None:
    uow.record(
        action,
        "BillingTestClock",
        encode(Customer.PREFIX, test_clock.customer_id),
        before=before,
        after=_view(test_clock),
        customer_id=test_clock.customer_id,
    )


async def _live_subscription(uow: UnitOfWork, customer_id: uuid.UUID) -> Subscription | None:
    statement = sa.select(Subscription).where(
        SUBSCRIPTIONS.c.customer_id == customer_id, SUBSCRIPTIONS.c.status != "CANCELED"
    )
    return (await uow.session.execute(statement)).scalar_one_or_none()


async def advance(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    to: datetime,
    gateway: BillingGateway,
    policy: Policy,
) -> Advance:
    """Move the customer's test clock to `to`, renewing and retrying at each due time."""
    target = clock.as_utc(to)
    customer = await customer_in_scope(uow, customer_id)
    test_clock, created = await _clock_of(uow, customer)
    before = {} if created else _view(test_clock)
    start = test_clock.frozen_time
    if target <= start:
        raise UserInputError(
            f"The test clock is at {start.isoformat()}: give a later time.",
            ErrorCode.INVALID,
            "to",
        )
    if target - start > MAX_ADVANCE:
        raise UserInputError(
            "Advance a test clock by at most five years at a time.", ErrorCode.INVALID, "to"
        )
    if test_clock.decline_payments:
        gateway = DecliningGateway()
    done = Advance(test_clock)
    while True:
        subscription = await _live_subscription(uow, customer.id)
        renewal_at = None if subscription is None else subscription.current_period_end
        retry_at = await repository.next_retry_at(uow.session, customer.id)
        due = [at for at in (renewal_at, retry_at) if at is not None and at <= target]
        if not due:
            break
        done.steps += 1
        if done.steps > MAX_STEPS:
            raise UserInputError(
                f"More than {MAX_STEPS} renewals and retries: advance in smaller steps.",
                ErrorCode.INVALID,
                "to",
            )
        at = max(min(due), start)
        with clock.pinned(at):
            if retry_at is not None and retry_at <= at:
                for attempt_id in await repository.due_retry_ids(uow.session, at, customer.id):
                    await claim_and_retry(uow, attempt_id, gateway, policy)
            else:
                assert subscription is not None
                renewal = await claim_and_renew(uow, subscription.id, gateway, policy)
                if renewal is not None and renewal.invoice is not None:
                    done.invoices.append(renewal.invoice)
    test_clock.frozen_time = target
    test_clock.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "billing_test_clock.advance", test_clock, before)
    return done


async def set_payment_method(
    uow: UnitOfWork, *, customer_id: uuid.UUID, decline: bool
) -> BillingTestClock:
    """Give the customer a declining (or a working) test payment method: with it the local
    ledger refuses their charges, for rehearsing failed renewals. Starts their test clock."""
    customer = await customer_in_scope(uow, customer_id)
    test_clock, created = await _clock_of(uow, customer)
    before = {} if created else _view(test_clock)
    test_clock.decline_payments = decline
    test_clock.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "billing_test_clock.payment_method", test_clock, before)
    return test_clock


async def gateway_for_customer(
    uow: UnitOfWork, customer_id: uuid.UUID, gateway: BillingGateway
) -> BillingGateway:
    """`gateway`, or the declining one when the customer's test payment method says so."""
    found = await repository.test_clock_of(uow.session, customer_id)
    return DecliningGateway() if found is not None and found.decline_payments else gateway


async def billing_now(uow: UnitOfWork, customer_id: uuid.UUID) -> datetime | None:
    """The customer's test-clock time, if they have a test clock: subscription changes made
    for them happen at it (a plan change prorates from their billing now)."""
    return await repository.frozen_time_of(uow.session, customer_id)
