"""Subscriptions: create, change plan with proration, trial, cancel, resume, limits override,
billing override; the customer's subscription, plan, mrr and effective limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.kit import clock
from app.models import Customer, SubscriptionStatus
from tests.billing import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid

SUBSCRIPTION = (
    "subscription { status planVersion price interval trialEnd currentPeriodStart "
    "currentPeriodEnd cancelAtPeriodEnd cancelReason limitsOverride billingOverride "
    "plan { code } mrr }"
)
SUBSCRIPTION_CREATE = Mutation(
    "subscriptionCreate", SUBSCRIPTION + " customer { plan { code } subscription { status } }"
)
CHANGE_PLAN = Mutation(
    "subscriptionChangePlan",
    SUBSCRIPTION + " prorationLines { description periodStart periodEnd amount }",
)
TRIAL_SET = Mutation("subscriptionTrialSet", SUBSCRIPTION)
CANCEL = Mutation("subscriptionCancel", SUBSCRIPTION)
RESUME = Mutation("subscriptionResume", SUBSCRIPTION)
LIMITS_OVERRIDE = Mutation(
    "subscriptionLimitsOverride",
    "subscription { limitsOverride limitsOverrideReason } customer { effectiveLimits { "
    "monthlyQuota { value source } ratePerSecond { value source } seats { value source } "
    "slaPercent { value source } overrideReason } }",
)
BILLING_OVERRIDE = Mutation(
    "billingOverrideSet", "subscription { billingOverride billingOverrideReason plan { code } }"
)
MIGRATE = Mutation(
    "planMigrateSubscriptions",
    "plan { version } moves { subscription { planVersion price } fromVersion toVersion "
    "newPrice prorationTotal prorationLines { amount } }",
)

CUSTOMER_BILLING = """
query($id: ID!) {
  customer(id: $id) {
    plan { code }
    subscription { status plan { code } }
    mrr
    effectiveLimits { monthlyQuota { value source } seats { value source } }
  }
}"""


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "USD"}


async def fresh(factory: Factory, slug: str = "fresh-co") -> Customer:
    return await factory.customer(slug)


async def test_create(gql: GraphQL, world: World, factory: Factory, db: Database) -> None:
    customer = await fresh(factory)
    payload = await SUBSCRIPTION_CREATE.ok(
        gql, {"customerId": gid("cus", customer), "planCode": "pro"}, token=world.master
    )
    subscription = payload["subscription"]
    assert (subscription["status"], subscription["planVersion"]) == ("ACTIVE", 1)
    assert subscription["price"] == usd(9900)
    assert subscription["mrr"] == usd(9900)
    assert subscription["trialEnd"] is None
    assert payload["customer"] == {"plan": {"code": "pro"}, "subscription": {"status": "ACTIVE"}}
    [event] = await support.events(db, "subscription.create")
    assert event.customer_id == customer.id
    [message] = [m for m in await support.outbox(db) if m.event_type == "subscription.created"]
    assert message.customer_id == customer.id
    assert message.data["planCode"] == "pro"


async def test_create_with_a_trial_and_an_anchor(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    customer = await fresh(factory)
    payload = await SUBSCRIPTION_CREATE.ok(
        gql,
        {"customerId": gid("cus", customer), "planCode": "pro", "trialDays": 7},
        token=world.master,
    )
    assert payload["subscription"]["status"] == "TRIALING"
    assert payload["subscription"]["mrr"] == usd(0)
    assert payload["subscription"]["trialEnd"] == payload["subscription"]["currentPeriodEnd"]
    other = await fresh(factory, "anchored-co")
    anchor = (clock.now() + timedelta(days=10)).replace(microsecond=0)
    payload = await SUBSCRIPTION_CREATE.ok(
        gql,
        {
            "customerId": gid("cus", other),
            "planCode": "pro",
            "trialDays": 0,
            "billingCycleAnchor": anchor.isoformat(),
        },
        token=world.master,
    )
    assert payload["subscription"]["status"] == "ACTIVE"
    assert payload["subscription"]["currentPeriodEnd"].startswith(
        anchor.strftime("%Y-%m-%dT%H:%M:%S")
    )


async def test_a_second_live_subscription_is_a_conflict(gql: GraphQL, world: World) -> None:
    found = await SUBSCRIPTION_CREATE.refused(
        gql, {"customerId": gid("cus", world.own), "planCode": "pro"}, token=world.master
    )
    assert found == [("CONFLICT", ["input", "customerId"])]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"planCode": "gold"}, ("NOT_FOUND", ["input", "planCode"])),
        ({"customerId": "cus_00000000000000000000000000"}, ("NOT_FOUND", ["input", "customerId"])),
        ({"trialDays": -1}, ("INVALID", ["input", "trialDays"])),
        (
            {"billingCycleAnchor": "2001-01-01T00:00:00Z"},
            ("INVALID", ["input", "billingCycleAnchor"]),
        ),
    ],
    ids=["unknown-plan", "unknown-customer", "negative-trial", "past-anchor"],
)
async def test_create_refusals(
    gql: GraphQL,
    world: World,
    factory: Factory,
    change: dict[str, Any],
    error: tuple[str, list[str]],
) -> None:
    customer = await fresh(factory)
    given = {"customerId": gid("cus", customer), "planCode": "pro", **change}
    assert await SUBSCRIPTION_CREATE.refused(gql, given, token=world.master) == [error]


async def test_an_archived_plan_takes_no_new_subscriptions(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.plan("old", archived_at=clock.now(), status="ARCHIVED")
    customer = await fresh(factory)
    found = await SUBSCRIPTION_CREATE.refused(
        gql, {"customerId": gid("cus", customer), "planCode": "old"}, token=world.master
    )
    assert found == [("PLAN_ARCHIVED", ["input", "planCode"])]
    found = await CHANGE_PLAN.refused(
        gql, {"customerId": gid("cus", world.own), "planCode": "old"}, token=world.master
    )
    assert found == [("PLAN_ARCHIVED", ["input", "planCode"])]


async def test_subscription_mutations_are_master_only(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    customer = await fresh(factory)
    before = await support.counts(db)
    calls = [
        (SUBSCRIPTION_CREATE, {"customerId": gid("cus", customer), "planCode": "pro"}),
        (CANCEL, {"customerId": gid("cus", world.own)}),
        (CHANGE_PLAN, {"customerId": gid("cus", world.own), "planCode": "pro"}),
        (BILLING_OVERRIDE, {"customerId": gid("cus", world.own), "enabled": True, "reason": "x"}),
    ]
    for mutation, given in calls:
        for token in (world.owner_token, world.admin_token, world.member_token):
            response = await mutation.send(gql, given, token=token)
            assert response.codes == ["FORBIDDEN"], response.body
    assert await support.counts(db) == before


async def test_change_plan_with_prorations(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    big = await factory.plan("big", price_amount=29900)
    customer = await fresh(factory)
    start = clock.now().replace(microsecond=0) - timedelta(days=10)
    await factory.subscription(customer, world.plan, start=start)
    payload = await CHANGE_PLAN.ok(
        gql,
        {
            "customerId": gid("cus", customer),
            "planCode": "big",
            "prorationBehavior": "CREATE_PRORATIONS",
        },
        token=world.master,
    )
    assert payload["subscription"]["plan"] == {"code": "big"}
    assert payload["subscription"]["price"] == usd(29900)
    credit, charge = payload["prorationLines"]
    assert credit["amount"]["amount"] < 0 < charge["amount"]["amount"]
    assert credit["description"].startswith("Unused time on Pro")
    items = await support.pending_items(db)
    assert [item.amount for item in items] == [
        credit["amount"]["amount"],
        charge["amount"]["amount"],
    ]
    assert all(item.customer_id == customer.id and item.invoice_id is None for item in items)
    # The lines sum to the difference of the prorated prices (about 2/3 of 20,000 left).
    net = credit["amount"]["amount"] + charge["amount"]["amount"]
    assert 12_000 < net < 15_000
    data = await gql.ok(CUSTOMER_BILLING, {"id": gid("cus", customer)}, token=world.master)
    assert data["customer"]["plan"] == {"code": "big"}
    assert data["customer"]["mrr"] == usd(29900)
    [message] = [m for m in await support.outbox(db) if m.event_type == "subscription.updated"]
    assert message.data["planCode"] == "big"
    assert big.code == "big"


async def test_change_plan_none_and_always_invoice(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.plan("big", price_amount=29900)
    given = {"customerId": gid("cus", world.own), "planCode": "big", "prorationBehavior": "NONE"}
    payload = await CHANGE_PLAN.ok(gql, given, token=world.master)
    assert payload["prorationLines"] == []
    assert await support.pending_items(db) == []
    back = {**given, "planCode": "pro", "prorationBehavior": "ALWAYS_INVOICE"}
    payload = await CHANGE_PLAN.ok(gql, back, token=world.master)
    assert len(payload["prorationLines"]) == 2


async def test_the_dry_run_is_the_preview(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.plan("big", price_amount=29900)
    before = await support.snapshot(db)
    given = {"customerId": gid("cus", world.own), "planCode": "big"}
    preview = await CHANGE_PLAN.ok(gql, given, token=world.master, dry_run=True)
    assert len(preview["prorationLines"]) == 2
    assert await support.snapshot(db) == before
    for mutation, more in (
        (CANCEL, {"atPeriodEnd": False}),
        (TRIAL_SET, {"trialEnd": (clock.now() + timedelta(days=3)).isoformat()}),
        (LIMITS_OVERRIDE, {"limits": {"seats": 1}, "reason": "pilot"}),
        (BILLING_OVERRIDE, {"enabled": True, "reason": "contract"}),
    ):
        await mutation.ok(
            gql, {"customerId": gid("cus", world.own), **more}, token=world.master, dry_run=True
        )
    assert await support.snapshot(db) == before


async def test_change_plan_refusals(gql: GraphQL, world: World, factory: Factory) -> None:
    own = gid("cus", world.own)
    found = await CHANGE_PLAN.refused(
        gql, {"customerId": own, "planCode": "pro"}, token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "planCode"])]
    await factory.plan("euro", price_amount=100, currency="EUR")
    found = await CHANGE_PLAN.refused(
        gql, {"customerId": own, "planCode": "euro"}, token=world.master
    )
    assert found == [("CURRENCY_MISMATCH", ["input", "planCode"])]
    await factory.plan("big", price_amount=29900)
    late = (clock.now() + timedelta(days=400)).isoformat()
    found = await CHANGE_PLAN.refused(
        gql, {"customerId": own, "planCode": "big", "prorationDate": late}, token=world.master
    )
    assert found == [("INVALID", ["input", "prorationDate"])]
    customer = await fresh(factory)
    found = await CHANGE_PLAN.refused(
        gql, {"customerId": gid("cus", customer), "planCode": "big"}, token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "customerId"])]


async def test_idempotent_replay(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.plan("big", price_amount=29900)
    given = {"customerId": gid("cus", world.own), "planCode": "big"}
    first = await CHANGE_PLAN.send(gql, given, token=world.master, key="change-1")
    again = await CHANGE_PLAN.send(gql, given, token=world.master, key="change-1")
    assert again.data == first.data
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(await support.pending_items(db)) == 2
    assert len(await support.events(db, "subscription.change_plan")) == 1


async def test_trial_start_extend_end(gql: GraphQL, world: World) -> None:
    own = gid("cus", world.own)
    later = (clock.now() + timedelta(days=5)).replace(microsecond=0)
    payload = await TRIAL_SET.ok(
        gql, {"customerId": own, "trialEnd": later.isoformat()}, token=world.master
    )
    assert payload["subscription"]["status"] == "TRIALING"
    payload = await TRIAL_SET.ok(
        gql, {"customerId": own, "trialEnd": clock.now().isoformat()}, token=world.master
    )
    assert payload["subscription"]["status"] == "ACTIVE"
    found = await TRIAL_SET.refused(
        gql, {"customerId": own, "trialEnd": clock.now().isoformat()}, token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "trialEnd"])]
    far = (clock.now() + timedelta(days=1000)).isoformat()
    found = await TRIAL_SET.refused(gql, {"customerId": own, "trialEnd": far}, token=world.master)
    assert found == [("INVALID", ["input", "trialEnd"])]


async def test_cancel_at_period_end_then_resume(gql: GraphQL, world: World, db: Database) -> None:
    own = gid("cus", world.own)
    payload = await CANCEL.ok(gql, {"customerId": own, "reason": "Too pricey"}, token=world.master)
    assert payload["subscription"]["cancelAtPeriodEnd"] is True
    assert payload["subscription"]["status"] == "ACTIVE"
    again = await CANCEL.refused(gql, {"customerId": own}, token=world.master)
    assert again == [("INVALID_STATE", ["input", "atPeriodEnd"])]
    payload = await RESUME.ok(gql, {"customerId": own}, token=world.master)
    assert payload["subscription"]["cancelAtPeriodEnd"] is False
    again = await RESUME.refused(gql, {"customerId": own}, token=world.master)
    assert again == [("INVALID_STATE", ["input", "customerId"])]


async def test_cancel_now_ends_the_plan(gql: GraphQL, world: World, db: Database) -> None:
    own = gid("cus", world.own)
    payload = await CANCEL.ok(gql, {"customerId": own, "atPeriodEnd": False}, token=world.master)
    assert payload["subscription"]["status"] == "CANCELED"
    data = await gql.ok(CUSTOMER_BILLING, {"id": own}, token=world.master)
    assert data["customer"]["plan"] is None
    assert data["customer"]["subscription"] is None
    assert data["customer"]["mrr"] is None
    assert data["customer"]["effectiveLimits"]["seats"] == {"value": None, "source": "NONE"}
    assert [m.event_type for m in await support.outbox(db)] == ["subscription.canceled"]
    found = await CANCEL.refused(gql, {"customerId": own}, token=world.master)
    assert found == [("INVALID_STATE", ["input", "customerId"])]
    # Once canceled, a new subscription may start.
    await SUBSCRIPTION_CREATE.ok(gql, {"customerId": own, "planCode": "pro"}, token=world.master)


async def test_limits_override_and_effective_limits(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    plan = await factory.plan("metered", monthly_quota=1000, seats=5)
    customer = await factory.customer("metered-co", plan=plan)
    payload = await LIMITS_OVERRIDE.ok(
        gql,
        {
            "customerId": gid("cus", customer),
            "limits": {"seats": 50, "monthlyQuota": None},
            "reason": "Pilot",
        },
        token=world.master,
    )
    assert payload["subscription"] == {
        "limitsOverride": {"monthlyQuota": None, "seats": 50},
        "limitsOverrideReason": "Pilot",
    }
    limits = payload["customer"]["effectiveLimits"]
    assert limits["seats"] == {"value": "50", "source": "OVERRIDE"}
    assert limits["monthlyQuota"] == {"value": None, "source": "OVERRIDE"}
    assert limits["ratePerSecond"] == {"value": None, "source": "PLAN"}
    assert limits["overrideReason"] == "Pilot"
    payload = await LIMITS_OVERRIDE.ok(
        gql,
        {"customerId": gid("cus", customer), "limits": {}, "reason": "Done"},
        token=world.master,
    )
    assert payload["customer"]["effectiveLimits"]["seats"] == {"value": "5", "source": "PLAN"}
    found = await LIMITS_OVERRIDE.refused(
        gql,
        {"customerId": gid("cus", customer), "limits": {"seats": 1}, "reason": " "},
        token=world.master,
    )
    assert found == [("REQUIRED", ["input", "reason"])]
    found = await LIMITS_OVERRIDE.refused(
        gql,
        {"customerId": gid("cus", customer), "limits": {"seats": -1}, "reason": "x"},
        token=world.master,
    )
    assert found == [("INVALID", ["input", "limits", "seats"])]


async def test_billing_override(gql: GraphQL, world: World, factory: Factory) -> None:
    await factory.plan("big", price_amount=29900)
    own = gid("cus", world.own)
    payload = await BILLING_OVERRIDE.ok(
        gql,
        {"customerId": own, "planCode": "big", "enabled": True, "reason": "Contract"},
        token=world.master,
    )
    assert payload["subscription"] == {
        "billingOverride": True,
        "billingOverrideReason": "Contract",
        "plan": {"code": "big"},
    }
    found = await BILLING_OVERRIDE.refused(
        gql, {"customerId": own, "enabled": True, "reason": ""}, token=world.master
    )
    assert found == [("REQUIRED", ["input", "reason"])]
    query = "query($id: ID!) { customer(id: $id) { billingOverrideSkips { totalCount } } }"
    data = await gql.ok(query, {"id": own}, token=world.master)
    assert data["customer"]["billingOverrideSkips"] == {"totalCount": 0}


async def test_migrate_subscriptions(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await gql.ok(
        'mutation { planUpdate(input: {code: "pro", amount: 12900}) { userErrors { code } } }',
        token=world.master,
    )
    before = await support.snapshot(db)
    preview = await MIGRATE.ok(
        gql,
        {"planCode": "pro", "prorationBehavior": "CREATE_PRORATIONS"},
        token=world.master,
        dry_run=True,
    )
    assert preview["plan"]["version"] == 2
    assert [m["fromVersion"] for m in preview["moves"]] == [1, 1]
    assert all(m["newPrice"] == usd(12900) for m in preview["moves"])
    assert all(m["prorationTotal"]["amount"] > 0 for m in preview["moves"])
    assert await support.snapshot(db) == before
    payload = await MIGRATE.ok(gql, {"planCode": "pro"}, token=world.master)
    assert [m["subscription"]["planVersion"] for m in payload["moves"]] == [2, 2]
    assert all(m["prorationLines"] == [] for m in payload["moves"])
    again = await MIGRATE.ok(gql, {"planCode": "pro"}, token=world.master)
    assert again["moves"] == []
    found = await MIGRATE.refused(gql, {"planCode": "pro", "fromVersion": 2}, token=world.master)
    assert found == [("INVALID", ["input", "fromVersion"])]
    found = await MIGRATE.refused(gql, {"planCode": "gold"}, token=world.master)
    assert found == [("NOT_FOUND", ["input", "planCode"])]


async def test_a_session_admin_reads_their_own_subscription_only(
    gql: GraphQL, world: World
) -> None:
    data = await gql.ok(CUSTOMER_BILLING, {"id": gid("cus", world.own)}, token=world.owner_token)
    assert data["customer"]["subscription"] == {"status": "ACTIVE", "plan": {"code": "pro"}}
    assert data["customer"]["mrr"] == usd(9900)
    assert data["customer"]["effectiveLimits"]["seats"]["source"] == "PLAN"
    data = await gql.ok(CUSTOMER_BILLING, {"id": gid("cus", world.other)}, token=world.owner_token)
    assert data["customer"] is None
    response = await gql(
        "query($id: ID!) { customer(id: $id) { billingOverrideSkips { totalCount } } }",
        {"id": gid("cus", world.own)},
        token=world.owner_token,
    )
    assert response.codes == ["FORBIDDEN"]


async def test_customer_create_with_a_plan_subscribes(
    gql: GraphQL, world: World, db: Database
) -> None:
    create = Mutation(
        "customerCreate", "customer { plan { code } subscription { status plan { code } } }"
    )
    payload = await create.ok(
        gql,
        {"slug": "acme", "name": "Acme", "billingEmail": "b@acme.test", "planCode": "pro"},
        token=world.master,
    )
    assert payload["customer"]["subscription"] == {"status": "ACTIVE", "plan": {"code": "pro"}}
    update = Mutation("customerUpdate", "customer { plan { code } subscription { plan { code } } }")
    await _plan(gql, world)
    payload = await update.ok(
        gql, {"customerId": gid("cus", world.own), "planCode": "team"}, token=world.master
    )
    assert payload["customer"] == {
        "plan": {"code": "team"},
        "subscription": {"plan": {"code": "team"}},
    }


async def _plan(gql: GraphQL, world: World) -> None:
    await gql.ok(
        'mutation { planCreate(input: {code: "team", name: "Team", interval: MONTH, amount: 100, '
        'currency: "USD"}) { userErrors { code } } }',
        token=world.master,
    )


async def test_the_database_holds_one_live_subscription_per_customer(
    world: World, factory: Factory
) -> None:
    with pytest.raises(IntegrityError):
        await factory.subscription(world.own, world.plan)
    # Canceled ones do not count.
    await factory.subscription(world.own, world.plan, status=SubscriptionStatus.CANCELED)
    await factory.subscription(world.own, world.plan, status=SubscriptionStatus.CANCELED)
