"""coupons(...) and coupon(code:) for masters; Customer.discounts for whoever reads the
customer; constant statement counts for both lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db import Database
from app.kit import clock
from app.models import MemberRole
from tests.billing import coupon_support as support
from tests.helpers import Factory, GraphQL, StatementCounter, World, gid

COUPONS = """
query($first: Int, $active: Boolean) {
  coupons(first: $first, filter: {active: $active}) {
    totalCount
    nodes { code redemptionsCount maxRedemptions active percentOff amountOff }
  }
}"""
COUPON = """query($code: String!) { coupon(code: $code) { code name deletedAt } }"""
CUSTOMER_DISCOUNTS = """
query($first: Int!) {
  customers(first: $first) {
    nodes { slug discounts { id code percentOff amountOff active endsAt customer { slug } } }
  }
}"""


async def codes(gql: GraphQL, token: str, active: bool | None = None) -> list[str]:
    data = await gql.ok(COUPONS, {"active": active}, token=token)
    return sorted(node["code"] for node in data["coupons"]["nodes"])


async def test_coupons_and_the_active_filter(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db, "LIVE")
    await support.coupon(db, "GONE", deleted_at=clock.now())
    await support.coupon(db, "LATE", redeem_by=clock.now() + timedelta(seconds=30))
    await support.coupon(db, "USED", max_redemptions=1, times_redeemed=1)
    assert await codes(gql, world.master) == ["GONE", "LATE", "LIVE", "USED"]
    assert await codes(gql, world.master, active=True) == ["LATE", "LIVE"]
    assert await codes(gql, world.master, active=False) == ["GONE", "USED"]
    with clock.travel(timedelta(minutes=1)):
        assert await codes(gql, world.master, active=True) == ["LIVE"]


async def test_coupon_by_code_in_any_case(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db, "SPRING-25", name="Spring", deleted_at=clock.now())
    found = await gql.ok(COUPON, {"code": " spring-25"}, token=world.master)
    assert found["coupon"]["name"] == "Spring"
    assert found["coupon"]["deletedAt"] is not None
    assert (await gql.ok(COUPON, {"code": "NOPE"}, token=world.master)) == {"coupon": None}


@pytest.mark.parametrize("caller", ["owner_token", "admin_token", "member_token"])
async def test_coupons_are_master_only(
    gql: GraphQL, world: World, db: Database, caller: str
) -> None:
    await support.coupon(db)
    for query, variables in ((COUPONS, {}), (COUPON, {"code": "SPRING-25"})):
        response = await gql(query, variables, token=getattr(world, caller))
        assert response.codes == ["FORBIDDEN"]
        assert "SPRING-25" not in str(response.body)
    assert await codes(gql, world.staff_token) == ["SPRING-25"]


async def test_session_admins_read_their_own_customers_discounts(
    gql: GraphQL, world: World, db: Database
) -> None:
    coupon = await support.coupon(db, "FIVE", amount_off=500)
    await support.discount(db, world.own, coupon)
    await support.discount(db, world.other, coupon)
    await support.discount(db, world.own, coupon, removed_at=clock.now())  # not active
    query = """query($id: ID!) { customer(id: $id) { discounts { code amountOff } } }"""
    own = await gql.ok(query, {"id": gid("cus", world.own)}, token=world.owner_token)
    assert own["customer"]["discounts"] == [
        {"code": "FIVE", "amountOff": {"amount": 500, "currency": "USD"}}
    ]
    other = await gql.ok(query, {"id": gid("cus", world.other)}, token=world.owner_token)
    assert other == {"customer": None}
    data = await gql.ok(CUSTOMER_DISCOUNTS, {"first": 10}, token=world.admin_token)
    assert [node["slug"] for node in data["customers"]["nodes"]] == ["own-co"]


async def test_a_discount_is_a_node_in_its_customers_scope(
    gql: GraphQL, world: World, db: Database
) -> None:
    coupon = await support.coupon(db)
    discount = await support.discount(db, world.other, coupon)
    query = """query($id: ID!) { node(id: $id) { ... on Discount { code } } }"""
    variables = {"id": gid("dsc", discount)}
    assert await gql.ok(query, variables, token=world.master) == {"node": {"code": "SPRING-25"}}
    assert await gql.ok(query, variables, token=world.owner_token) == {"node": None}


async def measured(
    gql: GraphQL, statements: StatementCounter, query: str, variables: dict[str, Any], token: str
) -> tuple[int, Any]:
    await gql.ok("{ __typename }", token=token)  # the credential's first use may touch it
    with statements.measure():
        data = await gql.ok(query, variables, token=token)
    return statements.count, data


async def test_coupons_page_runs_constant_statements(
    gql: GraphQL, world: World, db: Database, statements: StatementCounter
) -> None:
    for n in range(10):
        await support.coupon(db, f"CODE-{n}", max_redemptions=5, times_redeemed=n % 3)
    small, small_data = await measured(gql, statements, COUPONS, {"first": 2}, world.master)
    large, large_data = await measured(gql, statements, COUPONS, {"first": 10}, world.master)
    assert len(small_data["coupons"]["nodes"]) == 2
    nodes = large_data["coupons"]["nodes"]
    assert len(nodes) == 10
    assert sorted(node["redemptionsCount"] for node in nodes) == sorted(n % 3 for n in range(10))
    assert small == large


@pytest.mark.parametrize("caller", ["master", "session_admin"])
async def test_customers_with_discounts_run_constant_statements(
    gql: GraphQL, factory: Factory, db: Database, statements: StatementCounter, caller: str
) -> None:
    boss = await factory.user("boss@example.test")
    percent = await support.coupon(db, "TEN", percent_off_bp=1000)
    amount = await support.coupon(db, "FIVE", amount_off=500)
    for n in range(10):
        customer = await factory.customer(f"customer-{n}")
        await factory.member(customer, boss, MemberRole.OWNER)
        await support.discount(db, customer, percent)
        await support.discount(db, customer, amount)
    token = await factory.master_key() if caller == "master" else await factory.session_token(boss)
    small, small_data = await measured(gql, statements, CUSTOMER_DISCOUNTS, {"first": 2}, token)
    large, large_data = await measured(gql, statements, CUSTOMER_DISCOUNTS, {"first": 10}, token)
    assert len(small_data["customers"]["nodes"]) == 2
    nodes = large_data["customers"]["nodes"]
    assert len(nodes) == 10
    for node in nodes:
        assert [d["code"] for d in node["discounts"]] == ["TEN", "FIVE"]
        assert {d["customer"]["slug"] for d in node["discounts"]} == {node["slug"]}
    assert small == large
