"""couponDelete: the code can no longer be applied; running discounts keep running."""

from __future__ import annotations

import pytest

from app.db import Database
from tests.billing import coupon_support as support
from tests.billing.coupon_support import COUPON_APPLY, COUPON_DELETE, apply_input
from tests.helpers import GraphQL, World

DISCOUNTS = """query($id: ID!) { customer(id: $id) { discounts { code active } } }"""


async def test_delete_keeps_running_discounts(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db)
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master)
    payload = await COUPON_DELETE.ok(gql, {"code": "spring-25"}, token=world.master)
    assert payload["coupon"]["deletedAt"] is not None
    assert payload["coupon"]["active"] is False
    [event] = await support.events(db, "coupon.delete")
    assert event.target_id == payload["coupon"]["id"]
    found = await gql.ok(DISCOUNTS, {"id": support.gid("cus", world.own)}, token=world.master)
    assert found["customer"]["discounts"] == [{"code": "SPRING-25", "active": True}]
    refused = await COUPON_APPLY.refused(gql, apply_input(world.other), token=world.master)
    assert refused == [("NOT_FOUND", ["input", "code"])]


async def test_an_unknown_or_deleted_coupon_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.coupon(db)
    await COUPON_DELETE.ok(gql, {"code": "SPRING-25"}, token=world.master)
    for code in ("SPRING-25", "NOPE"):
        found = await COUPON_DELETE.refused(gql, {"code": code}, token=world.master)
        assert found == [("NOT_FOUND", ["input", "code"])]


async def test_dry_run_deletes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db)
    before = await support.counts(db)
    payload = await COUPON_DELETE.ok(gql, {"code": "SPRING-25"}, token=world.master, dry_run=True)
    assert payload["coupon"]["deletedAt"] is not None
    assert await support.counts(db) == before


async def test_idempotent_replay(gql: GraphQL, world: World, db: Database) -> None:
    await support.coupon(db)
    first = await COUPON_DELETE.ok(gql, {"code": "SPRING-25"}, token=world.master, key="del-1")
    again = await COUPON_DELETE.ok(gql, {"code": "SPRING-25"}, token=world.master, key="del-1")
    assert again == first
    assert len(await support.events(db, "coupon.delete")) == 1


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("owner_token", "FORBIDDEN"),
        ("member_token", "FORBIDDEN"),
        ("read_only_token", "READ_ONLY_SESSION"),
    ],
)
async def test_below_master_is_refused(
    gql: GraphQL, world: World, db: Database, caller: str, code: str
) -> None:
    await support.coupon(db)
    response = await COUPON_DELETE.send(gql, {"code": "SPRING-25"}, token=getattr(world, caller))
    assert response.codes == [code]
    assert (await support.counts(db))["deleted_coupons"] == 0
    await COUPON_DELETE.ok(gql, {"code": "SPRING-25"}, token=world.staff_token)
