"""couponCreate: percent or amount off (exactly one), the REPEATING rule, ranges, the code
format, duplicate codes, plan limits; dry run, idempotent replay, permission from both sides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.db import Database
from app.kit import clock
from app.models.coupons import Coupon
from tests.billing import coupon_support as support
from tests.billing.coupon_support import COUPON_CREATE
from tests.helpers import Factory, GraphQL, World


def new_coupon(**fields: Any) -> dict[str, Any]:
    base = {"code": "spring-25", "name": "Spring sale", "duration": "FOREVER", "percentOff": 12.5}
    return base | fields


async def test_create_a_percent_off_coupon(gql: GraphQL, world: World, db: Database) -> None:
    payload = await COUPON_CREATE.ok(gql, new_coupon(), token=world.master)
    coupon = payload["coupon"]
    assert coupon["code"] == "SPRING-25"  # codes are upper case
    assert (coupon["percentOff"], coupon["amountOff"]) == (12.5, None)
    assert (coupon["redemptionsCount"], coupon["active"], coupon["deletedAt"]) == (0, True, None)
    [event] = await support.events(db, "coupon.create")
    assert event.target_id == coupon["id"]
    assert event.diff["percentOffBasisPoints"] == {"before": None, "after": 1250}
    # The catalogue belongs to the operator: no customer's endpoint hears of it.
    assert await support.outbox(db, "coupon.created") == []


async def test_create_an_amount_off_repeating_coupon_for_some_plans(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.plan("growth")
    redeem_by = (clock.now() + timedelta(days=30)).isoformat()
    given = new_coupon(
        percentOff=None,
        amountOff=5000,
        currency="usd",
        duration="REPEATING",
        durationInMonths=3,
        maxRedemptions=10,
        redeemBy=redeem_by,
        appliesToPlans=["pro", " growth", "pro"],
    )
    coupon = (await COUPON_CREATE.ok(gql, given, token=world.master))["coupon"]
    assert coupon["amountOff"] == {"amount": 5000, "currency": "USD"}
    assert coupon["percentOff"] is None
    assert (coupon["duration"], coupon["durationInMonths"]) == ("REPEATING", 3)
    assert coupon["maxRedemptions"] == 10
    assert coupon["appliesToPlans"] == ["pro", "growth"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"amountOff": 500, "currency": "USD"}, [("INVALID", ["input", "amountOff"])]),
        ({"percentOff": None}, [("REQUIRED", ["input", "percentOff"])]),
        ({"currency": "USD"}, [("INVALID", ["input", "currency"])]),
        ({"percentOff": None, "amountOff": 500}, [("REQUIRED", ["input", "currency"])]),
        (
            {"percentOff": None, "amountOff": 500, "currency": "dollars"},
            [("INVALID", ["input", "currency"])],
        ),
    ],
    ids=["both", "neither", "currency-with-percent", "amount-without-currency", "bad-currency"],
)
async def test_exactly_one_kind_of_discount(
    gql: GraphQL, world: World, db: Database, fields: dict[str, Any], expected: list[Any]
) -> None:
    before = await support.counts(db)
    found = await COUPON_CREATE.refused(gql, new_coupon(**fields), token=world.master)
    assert found == expected
    assert await support.counts(db) == before


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"duration": "REPEATING"}, ("REQUIRED", ["input", "durationInMonths"])),
        ({"duration": "ONCE", "durationInMonths": 3}, ("INVALID", ["input", "durationInMonths"])),
        (
            {"duration": "FOREVER", "durationInMonths": 1},
            ("INVALID", ["input", "durationInMonths"]),
        ),
        (
            {"duration": "REPEATING", "durationInMonths": 0},
            ("INVALID", ["input", "durationInMonths"]),
        ),
        (
            {"duration": "REPEATING", "durationInMonths": 121},
            ("INVALID", ["input", "durationInMonths"]),
        ),
    ],
    ids=["repeating-without-months", "once-with-months", "forever-with-months", "zero", "121"],
)
async def test_months_are_required_for_and_only_for_repeating(
    gql: GraphQL, world: World, fields: dict[str, Any], expected: Any
) -> None:
    assert await COUPON_CREATE.refused(gql, new_coupon(**fields), token=world.master) == [expected]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"percentOff": 0}, "percentOff"),
        ({"percentOff": 100.01}, "percentOff"),
        ({"percentOff": 12.125}, "percentOff"),
        ({"percentOff": -5}, "percentOff"),
        ({"percentOff": None, "amountOff": 0, "currency": "USD"}, "amountOff"),
        ({"maxRedemptions": 0}, "maxRedemptions"),
        ({"redeemBy": "2020-01-01T00:00:00Z"}, "redeemBy"),
        ({"appliesToPlans": []}, "appliesToPlans"),
        ({"code": "ab"}, "code"),
        ({"code": "no spaces"}, "code"),
        ({"code": "-lead"}, "code"),
        ({"code": "x" * 65}, "code"),
    ],
)
async def test_out_of_range_values_are_invalid(
    gql: GraphQL, world: World, fields: dict[str, Any], field: str
) -> None:
    found = await COUPON_CREATE.refused(gql, new_coupon(**fields), token=world.master)
    assert found == [("INVALID", ["input", field])]


async def test_bounds_are_accepted(gql: GraphQL, world: World) -> None:
    for code, percent in (("FULL", 100), ("TINY", 0.01)):
        coupon = (
            await COUPON_CREATE.ok(
                gql, new_coupon(code=code, percentOff=percent), token=world.master
            )
        )["coupon"]
        assert coupon["percentOff"] == percent


async def test_every_problem_is_reported_at_once(gql: GraphQL, world: World) -> None:
    given = new_coupon(code="?", name=" ", duration="REPEATING", maxRedemptions=0)
    found = await COUPON_CREATE.refused(gql, given, token=world.master)
    assert found == [
        ("INVALID", ["input", "code"]),
        ("REQUIRED", ["input", "name"]),
        ("REQUIRED", ["input", "durationInMonths"]),
        ("INVALID", ["input", "maxRedemptions"]),
    ]


async def test_unknown_plans_are_not_found(gql: GraphQL, world: World) -> None:
    found = await COUPON_CREATE.refused(
        gql, new_coupon(appliesToPlans=["pro", "nope"]), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "appliesToPlans"])]


async def test_a_taken_code_is_a_conflict_in_any_case_and_after_a_delete(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.coupon(db, "SPRING-25")
    await support.coupon(db, "GONE", deleted_at=clock.now())
    for code in ("spring-25", "SPRING-25", "gone"):
        found = await COUPON_CREATE.refused(gql, new_coupon(code=code), token=world.master)
        assert found == [("CONFLICT", ["input", "code"])]


async def test_the_database_refuses_both_kinds_of_discount(db: Database) -> None:
    # The rule holds below the service too: a check constraint on both engines.
    with pytest.raises(Exception, match=r"(?i)check"):
        await support.add(
            db,
            Coupon(
                code="BOTH",
                name="Both",
                percent_off_bp=1000,
                amount_off=100,
                currency="USD",
                duration="FOREVER",
            ),
        )


async def test_dry_run_writes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    before = await support.counts(db)
    payload = await COUPON_CREATE.ok(gql, new_coupon(), token=world.master, dry_run=True)
    assert payload["coupon"]["code"] == "SPRING-25"
    assert await support.counts(db) == before


async def test_idempotent_replay_creates_once(gql: GraphQL, world: World, db: Database) -> None:
    first = await COUPON_CREATE.ok(gql, new_coupon(), token=world.master, key="create-1")
    response = await COUPON_CREATE.send(gql, new_coupon(), token=world.master, key="create-1")
    assert response.headers.get("Idempotent-Replayed") == "true"
    assert response.data["couponCreate"] == first
    assert (await support.counts(db))["coupons"] == 1
    reused = await COUPON_CREATE.refused(
        gql, new_coupon(name="Other"), token=world.master, key="create-1"
    )
    assert reused == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]


async def test_a_staff_session_may_create(gql: GraphQL, world: World) -> None:
    await COUPON_CREATE.ok(gql, new_coupon(), token=world.staff_token)


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("owner_token", "FORBIDDEN"),
        ("admin_token", "FORBIDDEN"),
        ("member_token", "FORBIDDEN"),
        ("read_only_token", "READ_ONLY_SESSION"),
    ],
)
async def test_below_master_is_refused(
    gql: GraphQL, world: World, db: Database, caller: str, code: str
) -> None:
    before = await support.counts(db)
    response = await COUPON_CREATE.send(gql, new_coupon(), token=getattr(world, caller))
    assert response.codes == [code]
    assert response.data == {"couponCreate": None}
    after = await support.counts(db)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    assert after["coupons"] == 0
