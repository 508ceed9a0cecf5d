"""discountRemove: ends a discount now; refusals, dry run, replay, permission."""

from __future__ import annotations

import pytest

from app.db import Database
from app.kit import clock
from tests.billing import coupon_support as support
from tests.billing.coupon_support import COUPON_APPLY, DISCOUNT_REMOVE, apply_input
from tests.helpers import GraphQL, World, gid

DISCOUNTS = """query($id: ID!) { customer(id: $id) { discounts { id } } }"""


async def test_remove(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db)
    discount = await support.discount(db, world.own, coupon)
    payload = await DISCOUNT_REMOVE.ok(
        gql, {"discountId": gid("dsc", discount)}, token=world.master
    )
    assert payload["discount"]["removedAt"] is not None
    assert payload["discount"]["active"] is False
    found = await gql.ok(DISCOUNTS, {"id": gid("cus", world.own)}, token=world.master)
    assert found["customer"]["discounts"] == []
    [event] = await support.events(db, "discount.remove")
    assert event.customer_id == world.own.id
    [message] = await support.outbox(db, "discount.removed")
    assert message.data["discountId"] == gid("dsc", discount)
    # The coupon may be applied again now.
    await COUPON_APPLY.ok(gql, apply_input(world.own), token=world.master)


async def test_an_ended_discount_is_invalid_state(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db)
    removed = await support.discount(db, world.own, coupon, removed_at=clock.now())
    ended = await support.discount(db, world.own, coupon, ends_at=clock.now())
    for discount in (removed, ended):
        found = await DISCOUNT_REMOVE.refused(
            gql, {"discountId": gid("dsc", discount)}, token=world.master
        )
        assert found == [("INVALID_STATE", ["input", "discountId"])]


async def test_an_unknown_discount_is_not_found(gql: GraphQL, world: World) -> None:
    for discount_id in ("dsc_nonsense", gid("dsc", world.own)):
        found = await DISCOUNT_REMOVE.refused(gql, {"discountId": discount_id}, token=world.master)
        assert found == [("NOT_FOUND", ["input", "discountId"])]


async def test_dry_run_removes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db)
    discount = await support.discount(db, world.own, coupon)
    before = await support.counts(db)
    payload = await DISCOUNT_REMOVE.ok(
        gql, {"discountId": gid("dsc", discount)}, token=world.master, dry_run=True
    )
    assert payload["discount"]["removedAt"] is not None
    assert await support.counts(db) == before


async def test_idempotent_replay(gql: GraphQL, world: World, db: Database) -> None:
    coupon = await support.coupon(db)
    discount = await support.discount(db, world.own, coupon)
    given = {"discountId": gid("dsc", discount)}
    first = await DISCOUNT_REMOVE.ok(gql, given, token=world.master, key="rm-1")
    assert await DISCOUNT_REMOVE.ok(gql, given, token=world.master, key="rm-1") == first
    assert len(await support.outbox(db, "discount.removed")) == 1


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
    coupon = await support.coupon(db)
    discount = await support.discount(db, world.own, coupon)
    given = {"discountId": gid("dsc", discount)}
    response = await DISCOUNT_REMOVE.send(gql, given, token=getattr(world, caller))
    assert response.codes == [code]
    assert (await support.counts(db))["removed_discounts"] == 0
    await DISCOUNT_REMOVE.ok(gql, given, token=world.staff_token)
