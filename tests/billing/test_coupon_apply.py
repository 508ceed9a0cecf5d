"""couponApply: a coupon becomes a customer's discount; every refusal code, dry run (no
redemption counted), idempotent replay (counted once), permission from both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.db import Database
from app.kit import clock
from app.models.coupons import CouponDuration
from tests.billing import coupon_support as support
from tests.billing.coupon_support import COUPON_APPLY, apply_input
from tests.helpers import Factory, GraphQL, World, gid


async def test_apply(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db, "SPRING-25", percent_off_bp=2500)
    payload = await COUPON_APPLY.ok(gql, apply_input(world.own, "spring-25"), token=world.master)
    discount = payload["discount"]
    assert discount["code"] == "SPRING-25"
    assert (discount["percentOff"], discount["amountOff"]) == (25.0, None)
    assert (discount["duration"], discount["endsAt"], discount["active"]) == ("FOREVER", None, True)
    assert discount["customer"] == {"slug": "own-co"}
    assert await support.times_redeemed(db, coupon) == 1
    [event] = await support.events(db, "discount.create")
    assert (event.target_id, event.customer_id) == (discount["id"], world.own.id)
    [message] = await support.outbox(db, "discount.created")
    assert message.customer_id == world.own.id
    assert message.data["discountId"] == discount["id"]
    assert message.data["code"] == "SPRING-25"


async def test_a_repeating_discount_ends_after_its_months(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.coupon(
        db, "THREE", amount_off=500, duration=CouponDuration.REPEATING, duration_in_months=3
    )
    discount = (await COUPON_APPLY.ok(gql, apply_input(world.own, "THREE"), token=world.master))[
        "discount"
    ]
    assert discount["amountOff"] == {"amount": 500, "currency": "USD"}
    started = datetime.fromisoformat(discount["startedAt"])
    ends = datetime.fromisoformat(discount["endsAt"])
    assert 89 <= (ends - started).days <= 92


async def test_an_unknown_or_deleted_code_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.coupon(db, "GONE", deleted_at=clock.now())
    for code in ("NOPE", "GONE"):
        found = await COUPON_APPLY.refused(gql, apply_input(world.own, code), token=world.master)
        assert found == [("NOT_FOUND", ["input", "code"])]


async def test_an_unknown_customer_is_not_found(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db)
    for customer_id in ("cus_nonsense", gid("cus", world.plan)):
        given = {"customerId": customer_id, "code": "SPRING-25"}
        found = await COUPON_APPLY.refused(gql, given, token=world.master)
        assert found == [("NOT_FOUND", ["input", "customerId"])]


async def test_past_redeem_by_is_expired(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db, redeem_by=clock.now() + timedelta(days=1))
    with clock.travel(timedelta(days=1, seconds=1)):
        found = await COUPON_APPLY.refused(gql, apply_input(world.own), token=world.master)
    assert found == [("COUPON_EXPIRED", ["input", "code"])]


async def test_used_up_is_max_redeemed(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db, max_redemptions=1)
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master)
    found = await COUPON_APPLY.refused(gql, apply_input(world.other), token=world.master)
    assert found == [("COUPON_MAX_REDEEMED", ["input", "code"])]
    assert await support.times_redeemed(db, coupon) == 1


async def test_a_plan_outside_applies_to_plans_is_not_applicable(
    gql: GraphQL, world: World, db: Database, factory: Factory
) -> None:
    await support.coupon(db, "GROWTH-ONLY", applies_to_plans=["growth"])
    await support.coupon(db, "PRO-ONLY", applies_to_plans=["pro", "growth"])
    no_plan = await factory.customer("no-plan")
    for customer in (world.own, no_plan):
        found = await COUPON_APPLY.refused(
            gql, apply_input(customer, "GROWTH-ONLY"), token=world.master
        )
        assert found == [("COUPON_NOT_APPLICABLE", ["input", "code"])]
    await COUPON_APPLY.ok(gql, apply_input(world.own, "PRO-ONLY"), token=world.master)


async def test_an_active_discount_from_the_coupon_is_already_applied(
    gql: GraphQL, world: World, db: Database
) -> None:
    coupon = await support.coupon(db)
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master)
    found = await COUPON_APPLY.refused(gql, apply_input(world.own), token=world.master)
    assert found == [("COUPON_ALREADY_APPLIED", ["input", "code"])]
    assert await support.times_redeemed(db, coupon) == 1
    # Another customer may, and once the discount has ended, this one again.
    await COUPON_APPLY.ok(gql, apply_input(world.other), token=world.master)


async def test_an_ended_discount_allows_applying_again(
    gql: GraphQL, world: World, db: Database
) -> None:
    coupon = await support.coupon(db)
    await support.discount(db, world.own, coupon, removed_at=clock.now())
    await support.discount(
        db,
        world.own,
        coupon,
        started_at=datetime(2020, 1, 1, tzinfo=UTC),
        ends_at=datetime(2020, 2, 1, tzinfo=UTC),
    )
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master)


async def test_dry_run_counts_no_redemption(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db, max_redemptions=1)
    before = await support.counts(db)
    payload = await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master, dry_run=True)
    assert payload["discount"]["code"] == "SPRING-25"
    assert await support.counts(db) == before
    assert await support.times_redeemed(db, coupon) == 0
    # The one redemption is still there to take.
    await COUPON_APPLY.ok(gql, apply_input(world.other), token=world.master)


async def test_idempotent_replay_counts_once(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db)
    first = await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master, key="apply-1")
    response = await COUPON_APPLY.send(
        gql, apply_input(world.own), token=world.master, key="apply-1"
    )
    assert response.headers.get("Idempotent-Replayed") == "true"
    assert response.data["couponApply"] == first
    assert await support.times_redeemed(db, coupon) == 1
    counts = await support.counts(db)
    assert (counts["discounts"], counts["outbox_events"]) == (1, 1)


async def test_a_staff_session_may_apply(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db)
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.staff_token)


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("owner_token", "FORBIDDEN"),
        ("admin_token", "FORBIDDEN"),
        ("member_token", "FORBIDDEN"),
        ("read_only_token", "READ_ONLY_SESSION"),
    ],
)
async def test_below_master_is_refused_even_for_their_own_customer(
    gql: GraphQL, world: World, db: Database, caller: str, code: str
) -> None:
    coupon = await support.coupon(db)
    response = await COUPON_APPLY.send(gql, apply_input(world.own), token=getattr(world, caller))
    assert response.codes == [code]
    assert response.data == {"couponApply": None}
    assert (await support.counts(db))["discounts"] == 0
    assert await support.times_redeemed(db, coupon) == 0
