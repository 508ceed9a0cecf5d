"""The issue's "done when", scripted: a plan catalogue, a subscription with a trial and a
coupon, an upgrade previewed and invoiced at once, a test clock through a trial end and
renewals (with the pending prorations of another upgrade), an invoice on demand with tax,
credit, a credit note, and a declined card retried until the subscription is canceled."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.db import Database
from app.kit import clock
from tests.billing import support
from tests.helpers import Factory, GraphQL, Mutation, gid

INVOICE = (
    "id number status subtotal discountTotal taxTotal total amountDue amountPaid creditApplied "
    "periodStart periodEnd lines { kind description amount taxAmount } "
    "discounts { couponCode amount } attempts { status amount nextAttemptAt }"
)
PLAN_CREATE = Mutation("planCreate", "plan { code }")
COUPON_CREATE = Mutation("couponCreate", "coupon { code }")
TAX_RATE_CREATE = Mutation("taxRateCreate", "taxRate { id }")
PROFILE = Mutation("customerBillingProfileUpdate", "billingAddress { country }")
SUBSCRIBE = Mutation(
    "subscriptionCreate",
    "subscription { status trialEnd currentPeriodEnd } customer { discounts { code } }",
)
CHANGE = Mutation(
    "subscriptionChangePlan",
    "subscription { plan { code } status } prorationLines { description amount } "
    f"invoice {{ {INVOICE} }}",
)
ADVANCE = Mutation(
    "billingClockAdvance",
    f"testClock {{ frozenTime declinePayments }} invoices {{ {INVOICE} }} "
    "customer { subscription { status currentPeriodStart currentPeriodEnd plan { code } } "
    "discounts { code } }",
)
DECLINE = Mutation("billingTestPaymentMethodSet", "testClock { declinePayments }")
INVOICE_CREATE = Mutation("invoiceCreate", "invoice { id }")
FINALIZE = Mutation("invoiceFinalize", f"invoice {{ {INVOICE} }}")
PAY = Mutation("invoicePay", f"invoice {{ {INVOICE} }}")
GRANT = Mutation("customerCreditGrant", "customer { creditBalance }")
CREDIT_NOTE = Mutation("creditNoteCreate", "creditNote { number amount } invoice { creditedTotal }")


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


def at(moment: datetime) -> str:
    return moment.isoformat()


async def test_billing_walk(gql: GraphQL, factory: Factory, db: Database) -> None:
    master = await factory.master_key()
    now = clock.now()
    # A plan catalogue, a coupon, a tax rate.
    for code, amount in (("starter", 10_000), ("growth", 30_000)):
        await PLAN_CREATE.ok(
            gql,
            {
                "code": code,
                "name": code.title(),
                "interval": "MONTH",
                "amount": amount,
                "currency": "USD",
                "trialDays": 14,
            },
            token=master,
        )
    await COUPON_CREATE.ok(
        gql,
        {
            "code": "welcome-20",
            "name": "Welcome",
            "percentOff": 20,
            "duration": "REPEATING",
            "durationInMonths": 2,
        },
        token=master,
    )
    await TAX_RATE_CREATE.ok(
        gql, {"country": "DE", "percentage": "19", "displayName": "USt"}, token=master
    )
    acme = await factory.customer("acme")
    ada = gid("cus", acme)
    await PROFILE.ok(
        gql,
        {
            "customerId": ada,
            "name": "Acme GmbH",
            "line1": "Hauptstr. 1",
            "city": "Berlin",
            "postalCode": "10115",
            "country": "DE",
        },
        token=master,
    )

    # Subscribe with the plan's 14-day trial and the coupon.
    subscribed = await SUBSCRIBE.ok(
        gql, {"customerId": ada, "planCode": "starter", "couponCode": "WELCOME-20"}, token=master
    )
    assert subscribed["subscription"]["status"] == "TRIALING"
    assert subscribed["customer"]["discounts"] == [{"code": "WELCOME-20"}]

    # Through the trial end: the dry run lists the invoice and writes nothing.
    trial_over = now + timedelta(days=15)
    before = await support.snapshot(db)
    preview = await ADVANCE.ok(
        gql, {"customerId": ada, "to": at(trial_over)}, token=master, dry_run=True
    )
    assert [invoice["total"] for invoice in preview["invoices"]] == [usd(9520)]
    assert await support.snapshot(db) == before
    advanced = await ADVANCE.ok(gql, {"customerId": ada, "to": at(trial_over)}, token=master)
    [first] = advanced["invoices"]
    assert advanced["customer"]["subscription"]["status"] == "ACTIVE"
    # 10 000 less 20 % is 8 000, plus 19 % tax: 9 520, paid by the local ledger.
    assert (first["subtotal"], first["discountTotal"], first["taxTotal"], first["total"]) == (
        usd(10_000),
        usd(2_000),
        usd(1_520),
        usd(9_520),
    )
    assert first["status"] == "PAID"
    assert first["discounts"] == [{"couponCode": "WELCOME-20", "amount": 2_000}]
    assert advanced["testClock"]["frozenTime"].startswith(trial_over.strftime("%Y-%m-%dT%H:%M"))

    # Preview an upgrade (at the customer's billing now), then invoice it at once.
    upgrade = {"customerId": ada, "planCode": "growth", "prorationBehavior": "ALWAYS_INVOICE"}
    before = await support.snapshot(db)
    previewed = await CHANGE.ok(gql, upgrade, token=master, dry_run=True)
    assert await support.snapshot(db) == before
    changed = await CHANGE.ok(gql, upgrade, token=master)
    assert changed["prorationLines"] == previewed["prorationLines"]
    credit, charge = (line["amount"]["amount"] for line in changed["prorationLines"])
    assert credit < 0 < charge
    invoice = changed["invoice"]
    assert invoice["status"] == "PAID"
    assert [line["kind"] for line in invoice["lines"]] == ["PRORATION", "PRORATION"]
    assert invoice["subtotal"] == usd(credit + charge)
    # The coupon's second (and last) invoice.
    assert invoice["discounts"][0]["couponCode"] == "WELCOME-20"
    assert previewed["invoice"]["total"] == invoice["total"]
    assert all(item.invoice_id is not None for item in await support.pending_items(db))

    # A renewal a month on: growth's price, the coupon used up.
    period_end = datetime.fromisoformat(advanced["customer"]["subscription"]["currentPeriodEnd"])
    renewed = await ADVANCE.ok(
        gql, {"customerId": ada, "to": at(period_end + timedelta(hours=1))}, token=master
    )
    [renewal] = renewed["invoices"]
    assert renewal["lines"][0]["kind"] == "SUBSCRIPTION"
    assert (renewal["subtotal"], renewal["discountTotal"], renewal["total"]) == (
        usd(30_000),
        usd(0),
        usd(35_700),
    )
    # (`Customer.discounts` reads at the real now, before this customer's billing now.)

    # Another customer upgrades with CREATE_PRORATIONS: the renewal picks the lines up.
    globex = await factory.customer("globex")
    gdx = gid("cus", globex)
    await SUBSCRIBE.ok(
        gql, {"customerId": gdx, "planCode": "starter", "trialDays": 0}, token=master
    )
    await ADVANCE.ok(gql, {"customerId": gdx, "to": at(now + timedelta(days=10))}, token=master)
    changed = await CHANGE.ok(
        gql,
        {**upgrade, "customerId": gdx, "prorationBehavior": "CREATE_PRORATIONS"},
        token=master,
    )
    assert changed["invoice"] is None
    net = sum(line["amount"]["amount"] for line in changed["prorationLines"])
    renewed = await ADVANCE.ok(
        gql, {"customerId": gdx, "to": at(now + timedelta(days=40))}, token=master
    )
    [renewal] = renewed["invoices"]
    assert [line["kind"] for line in renewal["lines"]] == ["SUBSCRIPTION", "PRORATION", "PRORATION"]
    assert renewal["total"] == usd(30_000 + net)  # no tax rate for this customer

    # On demand, with tax; credit first, then the gateway; a credit note.
    created = await INVOICE_CREATE.ok(
        gql,
        {"customerId": ada, "items": [{"description": "Onboarding", "amount": 50_000}]},
        token=master,
    )
    finalized = await FINALIZE.ok(gql, {"invoiceId": created["invoice"]["id"]}, token=master)
    assert finalized["invoice"]["taxTotal"] == usd(9_500)
    await GRANT.ok(
        gql, {"customerId": ada, "amount": usd(5_000), "reason": "Goodwill"}, token=master
    )
    paid = await PAY.ok(gql, {"invoiceId": created["invoice"]["id"]}, token=master)
    assert paid["invoice"]["creditApplied"] == usd(5_000)
    assert paid["invoice"]["amountPaid"] == usd(54_500)
    noted = await CREDIT_NOTE.ok(
        gql,
        {
            "invoiceId": created["invoice"]["id"],
            "amount": 10_000,
            "reason": "ORDER_CHANGE",
            "refundTo": "CREDIT_BALANCE",
        },
        token=master,
    )
    assert noted["creditNote"]["amount"] == usd(10_000)

    # A declined card: PAST_DUE, retried 3, 5 and 7 days after, then CANCELED.
    initech = await factory.customer("initech")
    idx = gid("cus", initech)
    await DECLINE.ok(gql, {"customerId": idx, "decline": True}, token=master)
    await SUBSCRIBE.ok(gql, {"customerId": idx, "planCode": "starter"}, token=master)
    failed = await ADVANCE.ok(
        gql, {"customerId": idx, "to": at(now + timedelta(days=14, hours=1))}, token=master
    )
    [unpaid] = failed["invoices"]
    assert unpaid["status"] == "OPEN"
    assert failed["customer"]["subscription"]["status"] == "PAST_DUE"
    assert [attempt["status"] for attempt in unpaid["attempts"]] == ["FAILED"]
    ended = await ADVANCE.ok(
        gql, {"customerId": idx, "to": at(now + timedelta(days=22))}, token=master
    )
    assert ended["invoices"] == []
    assert ended["customer"]["subscription"] is None
    attempts = await support.attempts(db)
    assert len([a for a in attempts if a.customer_id == initech.id]) == 4
    kinds = [message.event_type for message in await support.outbox(db)]
    for expected in (
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "subscription.updated",
        "subscription.canceled",
        "subscription.trial_ended",
    ):
        assert expected in kinds, expected
