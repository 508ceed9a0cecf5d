"""Mutations mirrored into Stripe (the fake server), over GraphQL with Stripe configured:
the parameters and idempotency keys sent, the ids stored, refusals, compensation, dry runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.billing.gateway.stripe_compensation import COMPENSATED
from app.db import Database
from app.kit import clock
from app.models.tables import COUPONS, INVOICES, PAYMENT_ATTEMPTS, SUBSCRIPTIONS
from tests.billing import invoice_support as inv
from tests.billing.conftest import Mirrored
from tests.billing.stripe_mirror_support import (
    CANCEL,
    CHANGE_PLAN,
    COUPON_CREATE,
    RESUME,
    SUBSCRIPTION_CREATE,
    audited,
    key_of,
    master,
    sent,
    subscribed,
    subscription_row,
)
from tests.helpers import Factory, gid
from tests.support import rows


@pytest.fixture
async def plans(factory: Factory) -> None:
    await factory.plan("pro", name="Pro", price_amount=4_900)
    await factory.plan("big", name="Big", price_amount=29_900)


async def test_subscription_create_makes_customer_plan_and_subscription(
    mirrored: Mirrored, factory: Factory, plans: None
) -> None:
    token, owner = await master(factory)
    customer = await factory.customer("acme", name="Acme")
    payload = await SUBSCRIPTION_CREATE.ok(
        mirrored.gql,
        {"customerId": gid("cus", customer), "planCode": "pro"},
        token=token,
        key="create-1",
    )
    [made] = sent(mirrored, "POST", "/v1/customers")
    assert made.params["name"] == "Acme"
    assert made.params["metadata[admiral_customer_id]"] == gid("cus", customer)
    assert made.idempotency_key == key_of(owner, "subscriptionCreate", "create-1", "customer")
    [plan] = sent(mirrored, "POST", "/v1/plans")
    assert (plan.params["id"], plan.params["amount"], plan.params["interval"]) == (
        "pro-v1",
        "4900",
        "month",
    )
    [created] = sent(mirrored, "POST", "/v1/subscriptions")
    assert created.params["items[0][price]"] == "pro-v1"
    assert created.params["metadata[admiral_subscription_id]"] == payload["subscription"]["id"]
    assert created.idempotency_key == key_of(
        owner, "subscriptionCreate", "create-1", "subscription"
    )
    row = await subscription_row(mirrored.app.state.db, customer)
    assert row["stripe_subscription_id"] in mirrored.fake.objects
    assert (
        row["stripe_customer_id"]
        == mirrored.fake.objects[row["stripe_subscription_id"]]["customer"]
    )

    # The same key again: the stored result, and Stripe is not asked again.
    before = len(mirrored.fake.requests)
    again = await SUBSCRIPTION_CREATE.ok(
        mirrored.gql,
        {"customerId": gid("cus", customer), "planCode": "pro"},
        token=token,
        key="create-1",
    )
    assert again["subscription"]["id"] == payload["subscription"]["id"]
    assert len(mirrored.fake.requests) == before


async def test_a_trial_is_sent_as_trial_end(
    mirrored: Mirrored, factory: Factory, plans: None
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    await SUBSCRIPTION_CREATE.ok(
        mirrored.gql,
        {"customerId": gid("cus", customer), "planCode": "pro", "trialDays": 7},
        token=token,
    )
    [created] = sent(mirrored, "POST", "/v1/subscriptions")
    row = await subscription_row(mirrored.app.state.db, customer)
    assert int(created.params["trial_end"]) == int(row["trial_end"].timestamp())
    # No key sent, none forwarded: the SDK's own (it retries a POST under one key).
    assert not (created.idempotency_key or "").startswith("adm_")


async def test_dry_run_never_reaches_stripe(
    mirrored: Mirrored, factory: Factory, plans: None, db: Database
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    payload = await SUBSCRIPTION_CREATE.ok(
        mirrored.gql,
        {"customerId": gid("cus", customer), "planCode": "pro"},
        token=token,
        dry_run=True,
        key="dry",
    )
    assert payload["subscription"]["status"] == "ACTIVE"
    assert mirrored.fake.requests == []
    assert await rows(db, sa.select(SUBSCRIPTIONS)) == []


async def test_a_stripe_refusal_leaves_nothing_local(
    mirrored: Mirrored, factory: Factory, plans: None, db: Database
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    mirrored.fake.refusing["POST /v1/subscriptions"] = "Your card was declined."
    payload = await SUBSCRIPTION_CREATE.payload(
        mirrored.gql, {"customerId": gid("cus", customer), "planCode": "pro"}, token=token
    )
    assert payload["userErrors"] == [
        {"field": None, "message": "Your card was declined.", "code": "PAYMENT_PROVIDER_ERROR"}
    ]
    assert await rows(db, sa.select(SUBSCRIPTIONS)) == []
    assert await audited(db, "subscription.create") == []
    # The Stripe customer made before the refusal is undone, and that is audited.
    assert len(sent(mirrored, "POST", "/v1/customers")) == 1
    [deleted] = [r for r in mirrored.fake.requests if r.method == "DELETE"]
    assert deleted.path.startswith("/v1/customers/")
    assert deleted.path.rsplit("/", 1)[1] not in mirrored.fake.objects
    [undone] = await audited(db, COMPENSATED)
    assert (undone.target_type, undone.customer_id) == ("stripe_customer", customer.id)


@pytest.fixture
async def failing_commit(db: Database) -> AsyncIterator[None]:
    """Storing a Stripe subscription id fails in the database (a stand-in for any local failure
    after Stripe said yes: a constraint, a failed commit)."""
    async with db.write_engine.begin() as connection:
        if db.dialect == "sqlite":
            await connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_stripe_ids BEFORE UPDATE OF stripe_subscription_id "
                    "ON subscriptions BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            await connection.execute(
                sa.text(
                    "CREATE FUNCTION refuse_stripe_ids() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            await connection.execute(
                sa.text(
                    "CREATE TRIGGER refuse_stripe_ids BEFORE UPDATE OF stripe_subscription_id "
                    "ON subscriptions FOR EACH ROW EXECUTE FUNCTION refuse_stripe_ids()"
                )
            )
    try:
        yield
    finally:
        async with db.write_engine.begin() as connection:
            if db.dialect == "sqlite":
                await connection.execute(sa.text("DROP TRIGGER refuse_stripe_ids"))
            else:
                await connection.execute(sa.text("DROP TRIGGER refuse_stripe_ids ON subscriptions"))
                await connection.execute(sa.text("DROP FUNCTION refuse_stripe_ids()"))


async def test_a_local_failure_after_stripe_said_yes_is_compensated(
    mirrored: Mirrored, factory: Factory, plans: None, db: Database, failing_commit: None
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    codes = await SUBSCRIPTION_CREATE.refused(
        mirrored.gql, {"customerId": gid("cus", customer), "planCode": "pro"}, token=token
    )
    assert codes == [("CONFLICT", None)]
    assert await rows(db, sa.select(SUBSCRIPTIONS)) == []
    [made] = [o for o in mirrored.fake.objects.values() if o["object"] == "subscription"][-1:]
    assert made["status"] == "canceled"  # undone in Stripe
    assert len(sent(mirrored, "DELETE", f"/v1/subscriptions/{made['id']}")) == 1
    assert len(sent(mirrored, "DELETE", f"/v1/customers/{made['customer']}")) == 1
    undone = await audited(db, COMPENSATED)
    assert sorted(e.target_type for e in undone) == ["stripe_customer", "stripe_subscription"]
    assert {e.target_id for e in undone} == {made["id"], made["customer"]}


async def test_change_plan_sends_proration(
    mirrored: Mirrored, factory: Factory, plans: None
) -> None:
    token, owner = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    at = clock.now() + timedelta(hours=1)
    payload = await CHANGE_PLAN.ok(
        mirrored.gql,
        {
            "customerId": gid("cus", customer),
            "planCode": "big",
            "prorationBehavior": "ALWAYS_INVOICE",
            "prorationDate": at.isoformat(),
        },
        token=token,
        key="move",
    )
    assert payload["subscription"]["plan"]["code"] == "big"
    [update] = sent(mirrored, "POST", f"/v1/subscriptions/{row['stripe_subscription_id']}")
    assert update.params["items[0][price]"] == "big-v1"
    assert update.params["proration_behavior"] == "always_invoice"
    assert update.params["proration_date"] == str(int(at.timestamp()))
    assert update.idempotency_key == key_of(
        owner, "subscriptionChangePlan", "move", "subscription-update"
    )
    stripe = mirrored.fake.objects[row["stripe_subscription_id"]]
    assert stripe["items"]["data"][0]["price"]["id"] == "big-v1"


async def test_a_refused_plan_change_changes_nothing(
    mirrored: Mirrored, factory: Factory, plans: None
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    path = f"/v1/subscriptions/{row['stripe_subscription_id']}"
    mirrored.fake.refusing["POST " + path] = "No such price."
    codes = await CHANGE_PLAN.refused(
        mirrored.gql, {"customerId": gid("cus", customer), "planCode": "big"}, token=token
    )
    assert codes == [("PAYMENT_PROVIDER_ERROR", None)]
    after = await subscription_row(mirrored.app.state.db, customer)
    assert after["plan_id"] == row["plan_id"]


async def test_cancel_and_resume(mirrored: Mirrored, factory: Factory, plans: None) -> None:
    token, owner = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    path = f"/v1/subscriptions/{row['stripe_subscription_id']}"
    who = {"customerId": gid("cus", customer)}
    await CANCEL.ok(mirrored.gql, who, token=token, key="stop")
    [cancel] = sent(mirrored, "POST", path)
    assert cancel.params == {"cancel_at_period_end": "true"}
    assert cancel.idempotency_key == key_of(
        owner, "subscriptionCancel", "stop", "subscription-cancel"
    )
    await RESUME.ok(mirrored.gql, who, token=token, key="go")
    resume = sent(mirrored, "POST", path)[-1]
    assert resume.params == {"cancel_at_period_end": "false"}
    assert resume.idempotency_key == key_of(
        owner, "subscriptionResume", "go", "subscription-resume"
    )
    assert mirrored.fake.objects[row["stripe_subscription_id"]]["cancel_at_period_end"] is False
    payload = await CANCEL.ok(mirrored.gql, {**who, "atPeriodEnd": False}, token=token)
    assert payload["subscription"]["status"] == "CANCELED"
    assert len(sent(mirrored, "DELETE", path)) == 1
    assert mirrored.fake.objects[row["stripe_subscription_id"]]["status"] == "canceled"


async def test_coupon_create_stores_the_stripe_id(
    mirrored: Mirrored, factory: Factory, db: Database
) -> None:
    token, owner = await master(factory)
    payload = await COUPON_CREATE.ok(
        mirrored.gql,
        {"code": "SPRING25", "name": "Spring", "duration": "ONCE", "percentOff": 25.0},
        token=token,
        key="cpn",
    )
    [made] = sent(mirrored, "POST", "/v1/coupons")
    assert made.params["id"] == "SPRING25"
    assert made.params["duration"] == "once"
    assert float(made.params["percent_off"]) == 25.0
    assert made.idempotency_key == key_of(owner, "couponCreate", "cpn", "coupon")
    [stored] = await rows(db, sa.select(COUPONS.c.stripe_coupon_id))
    assert stored.stripe_coupon_id == "SPRING25"
    assert payload["coupon"]["code"] == "SPRING25"


async def test_a_refused_coupon_is_not_created(
    mirrored: Mirrored, factory: Factory, db: Database
) -> None:
    token, _ = await master(factory)
    mirrored.fake.refusing["POST /v1/coupons"] = "Coupon already exists."
    codes = await COUPON_CREATE.refused(
        mirrored.gql,
        {"code": "TAKEN", "name": "Taken", "duration": "ONCE", "percentOff": 10.0},
        token=token,
    )
    assert codes == [("PAYMENT_PROVIDER_ERROR", None)]
    assert await rows(db, sa.select(COUPONS)) == []


async def test_credit_grant_credits_the_stripe_balance(
    mirrored: Mirrored, factory: Factory, plans: None
) -> None:
    token, owner = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    await inv.CREDIT_GRANT.ok(
        mirrored.gql,
        {
            "customerId": gid("cus", customer),
            "amount": {"amount": 5_000, "currency": "USD"},
            "reason": "Goodwill",
        },
        token=token,
        key="gift",
    )
    path = f"/v1/customers/{row['stripe_customer_id']}/balance_transactions"
    [grant] = sent(mirrored, "POST", path)
    assert (grant.params["amount"], grant.params["currency"]) == ("-5000", "usd")
    assert grant.idempotency_key == key_of(owner, "customerCreditGrant", "gift", "balance")


async def test_invoice_pay_charges_through_stripe(
    mirrored: Mirrored, factory: Factory, plans: None, db: Database
) -> None:
    token, owner = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    invoice = await inv.finalized(db, customer, [12_000])
    payload = await inv.INVOICE_PAY.ok(
        mirrored.gql, {"invoiceId": gid("in", invoice)}, token=token, key="pay-1"
    )
    assert payload["invoice"]["status"] == "PAID"
    assert payload["invoice"]["attempts"] == [
        {
            "status": "SUCCEEDED",
            "amount": 12_000,
            "gateway": "stripe",
        }
    ]
    [item] = sent(mirrored, "POST", "/v1/invoiceitems")
    assert (item.params["customer"], item.params["amount"]) == (row["stripe_customer_id"], "12000")
    assert item.idempotency_key == key_of(owner, "invoicePay", "pay-1", "invoiceitem")
    [stored] = await rows(db, sa.select(INVOICES.c.stripe_invoice_id))
    assert mirrored.fake.objects[stored.stripe_invoice_id]["status"] == "paid"

    # A credit note on it reaches Stripe's invoice, refunding as asked.
    await inv.CREDIT_NOTE_CREATE.ok(
        mirrored.gql,
        {
            "invoiceId": gid("in", invoice),
            "amount": 2_000,
            "reason": "PRODUCT_UNSATISFACTORY",
            "refundTo": "ORIGINAL_PAYMENT",
        },
        token=token,
        key="note",
    )
    [note] = sent(mirrored, "POST", "/v1/credit_notes")
    assert note.params == {
        "invoice": stored.stripe_invoice_id,
        "amount": "2000",
        "reason": "product_unsatisfactory",
        "refund_amount": "2000",
    }
    assert note.idempotency_key == key_of(owner, "creditNoteCreate", "note", "creditnote")


async def test_a_declined_charge_is_a_failed_attempt(
    mirrored: Mirrored, factory: Factory, plans: None, db: Database
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    mirrored.fake.declining_customers.add(row["stripe_customer_id"])
    invoice = await inv.finalized(db, customer, [12_000])
    payload = await inv.INVOICE_PAY.ok(mirrored.gql, {"invoiceId": gid("in", invoice)}, token=token)
    assert payload["invoice"]["status"] == "OPEN"
    [attempt] = await rows(db, sa.select(PAYMENT_ATTEMPTS))
    assert (attempt.status, attempt.gateway) == ("FAILED", "stripe")
    assert attempt.failure_message


async def test_invoice_pay_dry_run_never_reaches_stripe(
    mirrored: Mirrored, factory: Factory, db: Database
) -> None:
    token, _ = await master(factory)
    customer = await factory.customer()
    invoice = await inv.finalized(db, customer, [12_000])
    payload = await inv.INVOICE_PAY.ok(
        mirrored.gql, {"invoiceId": gid("in", invoice)}, token=token, dry_run=True
    )
    assert payload["invoice"]["status"] == "PAID"
    assert mirrored.fake.requests == []
