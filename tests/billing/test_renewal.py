"""The renewal loop: period ends invoiced and paid once, trials ended, cancellations at period
end, failed payments retried on the schedule until PAST_DUE turns CANCELED (or stays), and
customers on a test clock left to their clock."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.billing.gateway.local import DecliningGateway, LocalLedgerGateway
from app.billing.loops import ACTOR, loops, run_due
from app.billing.renewal import repository
from app.billing.renewal.service import Policy, claim_and_renew, claim_and_retry
from app.db import Database
from app.kit import clock
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Customer, Subscription, SubscriptionStatus
from app.models.billing import BillingTestClock, Plan
from app.models.invoices import Invoice, InvoiceLineKind, InvoiceStatus, PaymentAttempt
from app.settings import Settings
from tests.billing import support
from tests.helpers import Factory


async def _subscribed(
    factory: Factory, slug: str, plan: Plan, **fields: object
) -> tuple[Customer, Subscription]:
    customer = await factory.customer(slug)
    async with factory.db.write_session() as session:
        row = await session.get(Customer, customer.id)
        assert row is not None
        row.plan_id = plan.id
        await session.commit()
    subscription = await factory.subscription(customer, plan, **fields)  # type: ignore[arg-type]
    return customer, subscription


async def _invoices(factory: Factory, customer: Customer) -> list[Invoice]:
    async with factory.db.write_session() as session:
        found = await session.execute(
            sa.select(Invoice).where(Invoice.customer_id == customer.id)  # type: ignore[arg-type]
        )
        return list(found.scalars())


async def test_the_loop_is_declared(db: Database, settings: Settings) -> None:
    [loop] = loops(db, settings)
    assert loop.name == "billing-renewals"


async def test_a_due_period_is_invoiced_paid_and_advanced_once(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, subscription = await _subscribed(factory, "due-co", plan)
    assert await run_due(db, settings) == (0, 0)  # not due yet
    with clock.travel(timedelta(days=32)):
        assert await run_due(db, settings) == (1, 0)
        assert await run_due(db, settings) == (0, 0)
    [invoice] = await _invoices(factory, customer)
    assert (invoice.status, invoice.total, invoice.subscription_id) == (
        InvoiceStatus.PAID,
        9900,
        subscription.id,
    )
    renewed = await factory.get(Subscription, subscription.id)
    assert renewed.current_period_start == subscription.current_period_end
    assert renewed.current_period_end > renewed.current_period_start
    kinds = [message.event_type for message in await support.outbox(db)]
    assert {"invoice.finalized", "invoice.paid", "subscription.updated"} <= set(kinds)
    [event] = await support.events(db, "subscription.renew")
    assert event.actor_type == "SYSTEM"


async def test_several_periods_behind_are_caught_up_one_by_one(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, _ = await _subscribed(factory, "late-co", plan)
    with clock.travel(timedelta(days=95)):
        renewed, _ = await run_due(db, settings)
    assert renewed == 3
    periods = sorted((i.period_start, i.period_end) for i in await _invoices(factory, customer))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(periods))


async def test_a_trial_ends_active_with_its_first_invoice(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    now = clock.now()
    customer, subscription = await _subscribed(
        factory,
        "trial-co",
        plan,
        status=SubscriptionStatus.TRIALING,
        trial_start=now,
        trial_end=now + timedelta(days=7),
    )
    async with db.write_session() as session:
        row = await session.get(Subscription, subscription.id)
        assert row is not None
        row.current_period_end = row.billing_cycle_anchor = now + timedelta(days=7)
        await session.commit()
    with clock.travel(timedelta(days=8)):
        await run_due(db, settings)
    ended = await factory.get(Subscription, subscription.id)
    assert ended.status is SubscriptionStatus.ACTIVE
    assert "subscription.trial_ended" in [m.event_type for m in await support.outbox(db)]
    [invoice] = await _invoices(factory, customer)
    assert invoice.total == 9900


async def test_marked_subscriptions_cancel_at_period_end_without_an_invoice(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, subscription = await _subscribed(
        factory, "leaving-co", plan, cancel_at_period_end=True
    )
    with clock.travel(timedelta(days=32)):
        await run_due(db, settings)
    ended = await factory.get(Subscription, subscription.id)
    assert ended.status is SubscriptionStatus.CANCELED
    assert (await factory.get(Customer, customer.id)).plan_id is None
    assert await _invoices(factory, customer) == []
    assert "subscription.canceled" in [m.event_type for m in await support.outbox(db)]


async def test_customers_on_a_test_clock_are_left_to_their_clock(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, _ = await _subscribed(factory, "clocked-co", plan)
    async with db.write_session() as session:
        session.add(BillingTestClock(customer_id=customer.id, frozen_time=clock.now()))
        await session.commit()
    with clock.travel(timedelta(days=32)):
        assert await run_due(db, settings) == (0, 0)


async def _renew_declined(db: Database, subscription: Subscription, policy: Policy) -> None:
    async def work(uow: UnitOfWork) -> None:
        await claim_and_renew(uow, subscription.id, DecliningGateway(), policy)

    await db.run(work, actor=ACTOR, row_scope=EVERYTHING)


async def _retry_due(db: Database, policy: Policy, gateway: object) -> int:
    async def work(uow: UnitOfWork) -> int:
        done = 0
        for attempt_id in await repository.due_retry_ids(uow.session, clock.now()):
            if await claim_and_retry(uow, attempt_id, gateway, policy) is not None:  # type: ignore[arg-type]
                done += 1
        return done

    return await db.run(work, actor=ACTOR, row_scope=EVERYTHING)


async def _attempts(factory: Factory, customer: Customer) -> list[PaymentAttempt]:
    async with factory.db.write_session() as session:
        found = await session.execute(
            sa.select(PaymentAttempt)
            .where(PaymentAttempt.customer_id == customer.id)  # type: ignore[arg-type]
            .order_by(PaymentAttempt.attempted_at)  # type: ignore[arg-type]
        )
        return list(found.scalars())


@pytest.mark.parametrize("cancel", [True, False], ids=["cancels", "stays-past-due"])
async def test_a_failed_payment_is_retried_on_the_schedule(
    factory: Factory, db: Database, cancel: bool
) -> None:
    policy = Policy((3, 5, 7), cancel_after_retries=cancel)
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, subscription = await _subscribed(factory, "declined-co", plan)
    start = subscription.current_period_end
    with clock.travel(timedelta(days=32)):
        failed_at = clock.now()
        await _renew_declined(db, subscription, policy)
    assert (await factory.get(Subscription, subscription.id)).status is SubscriptionStatus.PAST_DUE
    [first] = await _attempts(factory, customer)
    assert first.next_attempt_at is not None
    assert abs(first.next_attempt_at - (failed_at + timedelta(days=3))) < timedelta(seconds=5)
    assert "invoice.payment_failed" in [m.event_type for m in await support.outbox(db)]
    for days, planned in ((2, 0), (3, 1), (8, 1), (15, 1), (40, 0)):
        with clock.travel(timedelta(days=32 + days) + timedelta(minutes=1)):
            assert await _retry_due(db, policy, DecliningGateway()) == planned
    attempts = await _attempts(factory, customer)
    assert len(attempts) == 4
    assert [a.next_attempt_at is None for a in attempts] == [True] * 4
    status = (await factory.get(Subscription, subscription.id)).status
    assert status is (SubscriptionStatus.CANCELED if cancel else SubscriptionStatus.PAST_DUE)
    assert start < failed_at


async def test_a_retry_that_succeeds_makes_the_subscription_active(
    factory: Factory, db: Database
) -> None:
    policy = Policy()
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, subscription = await _subscribed(factory, "recovered-co", plan)
    with clock.travel(timedelta(days=32)):
        await _renew_declined(db, subscription, policy)
    with clock.travel(timedelta(days=36)):
        assert await _retry_due(db, policy, LocalLedgerGateway()) == 1
    assert (await factory.get(Subscription, subscription.id)).status is SubscriptionStatus.ACTIVE
    [invoice] = await _invoices(factory, customer)
    assert invoice.status is InvoiceStatus.PAID
    assert [a.status for a in await _attempts(factory, customer)] == ["FAILED", "SUCCEEDED"]


async def test_pending_items_ride_on_the_renewal_invoice(
    factory: Factory, db: Database, settings: Settings
) -> None:
    from app.models.billing import PendingInvoiceItem

    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    customer, subscription = await _subscribed(factory, "pending-co", plan)
    async with db.write_session() as session:
        session.add(
            PendingInvoiceItem(
                customer_id=customer.id,
                subscription_id=subscription.id,
                description="Remaining time on Max",
                amount=1234,
                currency="USD",
                period_start=subscription.current_period_start,
                period_end=subscription.current_period_end,
            )
        )
        await session.commit()
    with clock.travel(timedelta(days=32)):
        await run_due(db, settings)
    [invoice] = await _invoices(factory, customer)
    assert invoice.subtotal == 9900 + 1234
    [item] = await support.pending_items(db)
    assert item.invoice_id == invoice.id
    async with db.write_session() as session:
        kinds = await session.execute(
            sa.text("SELECT kind FROM invoice_lines WHERE invoice_id = :id ORDER BY position"),
            {"id": invoice.id.hex if db.dialect == "sqlite" else invoice.id},
        )
        assert [row[0] for row in kinds] == [
            InvoiceLineKind.SUBSCRIPTION,
            InvoiceLineKind.PRORATION,
        ]
