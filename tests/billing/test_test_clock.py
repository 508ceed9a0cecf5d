"""billingClockAdvance and billingTestPaymentMethodSet: each code, dry runs, idempotent
replay, permission from both sides, the setting that turns them off; subscriptionCreate's
couponCode (all or nothing, its refusals on `couponCode`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import Database
from app.kit import clock
from app.main import create_app
from app.models.coupons import Coupon, CouponDuration
from app.settings import Settings
from tests.billing import support
from tests.conftest import make_settings
from tests.helpers import Factory, GraphQL, Mutation, World, gid

ADVANCE = Mutation(
    "billingClockAdvance",
    "testClock { frozenTime declinePayments } invoices { total status } "
    "customer { subscription { status currentPeriodEnd } }",
)
DECLINE = Mutation("billingTestPaymentMethodSet", "testClock { declinePayments }")
SUBSCRIBE = Mutation(
    "subscriptionCreate", "subscription { status } customer { discounts { code } }"
)


def later(days: int) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


async def test_advance_renews_and_shows_the_clock(gql: GraphQL, world: World) -> None:
    own = gid("cus", world.own)
    payload = await ADVANCE.ok(gql, {"customerId": own, "to": later(40)}, token=world.master)
    assert [invoice["status"] for invoice in payload["invoices"]] == ["PAID"]
    assert payload["testClock"]["declinePayments"] is False
    assert payload["customer"]["subscription"]["status"] == "ACTIVE"
    # Several periods in one advance.
    payload = await ADVANCE.ok(gql, {"customerId": own, "to": later(130)}, token=world.master)
    assert len(payload["invoices"]) == 3


async def test_advance_dry_run_writes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    before = await support.snapshot(db)
    payload = await ADVANCE.ok(
        gql,
        {"customerId": gid("cus", world.own), "to": later(40)},
        token=world.master,
        dry_run=True,
    )
    assert len(payload["invoices"]) == 1
    assert await support.snapshot(db) == before
    assert await support.attempts(db) == []


async def test_advance_replays(gql: GraphQL, world: World, db: Database) -> None:
    given = {"customerId": gid("cus", world.own), "to": later(40)}
    first = await ADVANCE.ok(gql, given, token=world.master, key="advance-1")
    again = await ADVANCE.ok(gql, given, token=world.master, key="advance-1")
    assert again["invoices"] == first["invoices"]
    assert len(await support.attempts(db)) == 1


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"to": later(-1)}, ("INVALID", ["input", "to"])),
        ({"to": later(366 * 6)}, ("INVALID", ["input", "to"])),
        ({"customerId": "cus_00000000000000000000000000"}, ("NOT_FOUND", ["input", "customerId"])),
    ],
    ids=["backwards", "too-far", "unknown-customer"],
)
async def test_advance_refusals(
    gql: GraphQL, world: World, given: dict[str, Any], error: tuple[str, list[str]]
) -> None:
    found = await ADVANCE.refused(
        gql, {"customerId": gid("cus", world.own), "to": later(40), **given}, token=world.master
    )
    assert found == [error]


@pytest.mark.parametrize("caller", ["owner_token", "admin_token", "member_token"])
async def test_only_a_master_advances(gql: GraphQL, world: World, caller: str) -> None:
    for mutation, given in (
        (ADVANCE, {"customerId": gid("cus", world.own), "to": later(40)}),
        (DECLINE, {"customerId": gid("cus", world.own), "decline": True}),
    ):
        response = await mutation.send(gql, given, token=getattr(world, caller))
        assert response.codes == ["FORBIDDEN"], response.body


@pytest.fixture
async def clocks_off(settings: Settings, tmp_path: Path) -> AsyncIterator[GraphQL]:
    application = create_app(
        make_settings(settings.database_url, tmp_path / "s", billing_test_clocks=False)
    )
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQL(http)
    finally:
        await application.state.db.dispose()


async def test_test_clocks_are_off_unless_the_setting_is_on(
    clocks_off: GraphQL, world: World
) -> None:
    for mutation, given in (
        (ADVANCE, {"customerId": gid("cus", world.own), "to": later(40)}),
        (DECLINE, {"customerId": gid("cus", world.own), "decline": True}),
    ):
        found = await mutation.refused(clocks_off, given, token=world.master)
        assert found == [("TEST_CLOCKS_DISABLED", ["input", "customerId"])]


async def test_a_declining_payment_method_fails_the_renewal(
    gql: GraphQL, world: World, db: Database
) -> None:
    own = gid("cus", world.own)
    assert (await DECLINE.ok(gql, {"customerId": own, "decline": True}, token=world.master))[
        "testClock"
    ] == {"declinePayments": True}
    # The period ends within 28 to 31 days; the first retry is 3 days after the failure.
    payload = await ADVANCE.ok(gql, {"customerId": own, "to": later(32)}, token=world.master)
    assert [invoice["status"] for invoice in payload["invoices"]] == ["OPEN"]
    assert payload["customer"]["subscription"]["status"] == "PAST_DUE"
    await DECLINE.ok(gql, {"customerId": own, "decline": False}, token=world.master)
    payload = await ADVANCE.ok(gql, {"customerId": own, "to": later(35)}, token=world.master)
    assert payload["customer"]["subscription"]["status"] == "ACTIVE"
    before = await support.snapshot(db)
    await DECLINE.ok(gql, {"customerId": own, "decline": True}, token=world.master, dry_run=True)
    assert await support.snapshot(db) == before


# ---------------------------------------------------------------- subscriptionCreate couponCode


async def _coupon(factory: Factory, code: str, **fields: Any) -> None:
    coupon = Coupon(
        code=code, name=code, percent_off_bp=1000, duration=CouponDuration.FOREVER, **fields
    )
    await factory._add(coupon)


async def test_subscribe_with_a_coupon(gql: GraphQL, world: World, factory: Factory) -> None:
    await _coupon(factory, "TEN")
    customer = await factory.customer("new-co")
    payload = await SUBSCRIBE.ok(
        gql,
        {"customerId": gid("cus", customer), "planCode": "pro", "couponCode": "ten"},
        token=world.master,
    )
    assert payload["customer"]["discounts"] == [{"code": "TEN"}]


@pytest.mark.parametrize(
    ("fields", "code", "error"),
    [
        ({}, "NOPE", "NOT_FOUND"),
        ({"redeem_by": clock.now() - timedelta(days=1)}, "OLD", "COUPON_EXPIRED"),
        ({"applies_to_plans": ["gold"]}, "GOLD", "COUPON_NOT_APPLICABLE"),
        ({"max_redemptions": 1, "times_redeemed": 1}, "USED", "COUPON_MAX_REDEEMED"),
    ],
    ids=["unknown", "expired", "not-applicable", "max-redeemed"],
)
async def test_a_refused_coupon_creates_no_subscription(
    gql: GraphQL,
    world: World,
    factory: Factory,
    db: Database,
    fields: dict[str, Any],
    code: str,
    error: str,
) -> None:
    if code != "NOPE":
        await _coupon(factory, code, **fields)
    customer = await factory.customer("new-co")
    before = await support.snapshot(db)
    found = await SUBSCRIBE.refused(
        gql,
        {"customerId": gid("cus", customer), "planCode": "pro", "couponCode": code},
        token=world.master,
    )
    assert found == [(error, ["input", "couponCode"])]
    assert await support.snapshot(db) == before
