"""A customer's MRR is its live subscription's normalised monthly price after its active
discounts, applied in turn as invoices apply them, in a constant number of statements."""

from __future__ import annotations

from datetime import timedelta

from app.db import Database
from app.kit import clock
from app.models import MemberRole, PlanInterval
from tests.billing import coupon_support as support
from tests.billing.test_coupon_queries import measured
from tests.helpers import Factory, GraphQL, StatementCounter, World

PAGE = """
query Page($first: Int!) {
  customers(first: $first) { nodes { slug mrr plan { code } } }
}
"""


async def test_discounts_come_off_the_mrr_in_turn(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    monthly = await factory.plan("team", price_amount=4900, interval=PlanInterval.MONTH)
    yearly = await factory.plan("scale", price_amount=120_000, interval=PlanInterval.YEAR)
    quarter = await support.coupon(db, "QUARTER", percent_off_bp=2500)
    five = await support.coupon(db, "FIVE", percent_off_bp=None, amount_off=500, currency="USD")
    only_scale = await support.coupon(
        db, "SCALE-ONLY", percent_off_bp=5000, applies_to_plans=["scale"]
    )
    euro = await support.coupon(db, "EURO", percent_off_bp=None, amount_off=100, currency="EUR")
    ended = await support.coupon(db, "ENDED", percent_off_bp=9000)

    a = await factory.customer("a-co", plan=monthly)
    await support.discount(db, a, quarter, started_at=clock.now() - timedelta(days=2))
    await support.discount(db, a, five, started_at=clock.now() - timedelta(days=1))
    await support.discount(db, a, euro)  # another currency: nothing off
    await support.discount(db, a, only_scale)  # another plan's coupon: nothing off
    await support.discount(db, a, ended, ends_at=clock.now() - timedelta(seconds=1))
    b = await factory.customer("b-co", plan=yearly)
    await support.discount(db, b, only_scale)
    await factory.customer("c-co", plan=monthly)

    data = await gql.ok(PAGE, {"first": 10}, token=world.master)
    mrr = {node["slug"]: node["mrr"] for node in data["customers"]["nodes"]}
    # 4900 less 25 % (1225) is 3675, less 5.00 is 3175; the EUR, other-plan and ended
    # discounts take nothing.
    assert mrr["a-co"] == {"amount": 3175, "currency": "USD"}
    # 120000 / 12 = 10000, half off.
    assert mrr["b-co"] == {"amount": 5000, "currency": "USD"}
    assert mrr["c-co"] == {"amount": 4900, "currency": "USD"}


async def test_mrr_after_discounts_runs_constant_statements(
    gql: GraphQL, world: World, factory: Factory, db: Database, statements: StatementCounter
) -> None:
    boss = await factory.user("boss@example.test")
    plan = await factory.plan("team", price_amount=4900, interval=PlanInterval.MONTH)
    quarter = await support.coupon(db, "QUARTER", percent_off_bp=2500)
    for n in range(10):
        customer = await factory.customer(f"customer-{n}", plan=plan)
        await factory.member(customer, boss, MemberRole.OWNER)
        await support.discount(db, customer, quarter)
    for token in (world.master, await factory.session_token(boss)):
        small, _ = await measured(gql, statements, PAGE, {"first": 2}, token)
        large, data = await measured(gql, statements, PAGE, {"first": 10}, token)
        assert small == large
        assert {node["mrr"]["amount"] for node in data["customers"]["nodes"]} >= {3675}
