"""Fan-out: a customer's deactivation, reactivation and plan change reach every key it holds,
all or nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.billing.plans.service import Limits
from app.billing.subscriptions import service as subscriptions
from app.billing.subscriptions.service import ProrationBehavior
from app.db import Database
from app.keys import fanout
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.keys import ApiKey
from tests.customers.support import events as customer_events
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.keys.support import issue, key_rows, new_key, verify

DEACTIVATE = Mutation("customerDeactivate", "customer { status }")
REACTIVATE = Mutation("customerReactivate", "customer { status }")
UPDATE = Mutation("customerUpdate", "customer { plan { code } }")


async def _keys(gql: GraphQL, world: World, n: int) -> list[str]:
    return [(await issue(gql, world.master, new_key(world, name=f"k{i}")))[1] for i in range(n)]


def _state(rows: list[object]) -> list[tuple[object, ...]]:
    return [
        (r.enabled, r.plan_code, r.rate_per_second, r.monthly_quota, r.updated_at)  # type: ignore[attr-defined]
        for r in rows
    ]


async def test_deactivation_disables_every_key_and_reactivation_enables_them(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    secrets = await _keys(gql, world, 3)
    _other, _ = await issue(
        gql, world.master, {**new_key(world), "customerId": gid("cus", world.other)}
    )
    await DEACTIVATE.ok(
        gql, {"customerId": gid("cus", world.own), "reason": "unpaid"}, token=world.master
    )
    rows = await key_rows(db)
    assert sorted(r.enabled for r in rows) == [False, False, False, True]
    for secret in secrets:
        assert (await verify(client, world.master, secret)).json()["code"] == "DISABLED"
    await REACTIVATE.ok(gql, {"customerId": gid("cus", world.own)}, token=world.master)
    assert all(r.enabled for r in await key_rows(db))
    for secret in secrets:
        assert (await verify(client, world.master, secret)).json()["code"] == "VALID"


async def test_a_plan_change_gives_every_key_the_new_limits(
    gql: GraphQL, world: World, db: Database, factory: Factory, client: httpx.AsyncClient
) -> None:
    await factory.plan("scale", rate_per_second=50, monthly_quota=1_000_000)
    secrets = await _keys(gql, world, 2)
    await UPDATE.ok(
        gql, {"customerId": gid("cus", world.own), "planCode": "scale"}, token=world.master
    )
    rows = await key_rows(db)
    assert {(r.plan_code, r.rate_per_second, r.monthly_quota) for r in rows} == {
        ("scale", 50, 1_000_000)
    }
    answer = (await verify(client, world.master, secrets[0])).json()
    assert answer["plan"] == "scale"
    assert answer["ratelimit"]["limit"] == 50


@pytest.fixture
def fail_on_third_key() -> Iterator[None]:
    def fail(key: ApiKey, position: int) -> None:
        if position == 3:
            raise RuntimeError("injected failure")

    fanout.before_key_update.append(fail)
    yield
    fanout.before_key_update.remove(fail)


@pytest.mark.usefixtures("fail_on_third_key")
async def test_a_failure_midway_rolls_everything_back(
    gql: GraphQL, world: World, db: Database, factory: Factory
) -> None:
    await factory.plan("scale", rate_per_second=50)
    await _keys(gql, world, 4)
    before = _state(await key_rows(db))
    for mutation, input in (
        (DEACTIVATE, {"customerId": gid("cus", world.own), "reason": "unpaid"}),
        (UPDATE, {"customerId": gid("cus", world.own), "planCode": "scale"}),
    ):
        payload = await mutation.payload(gql, input, token=world.master)
        [error] = payload["userErrors"]
        assert error["code"] == "FANOUT_FAILED"
        assert error["field"] == ["input", "customerId"]
        assert "(3 of 4)" in error["message"]
        assert "RuntimeError" in error["message"]
        assert _state(await key_rows(db)) == before
    customer = await factory.get(type(world.own), world.own.id)
    assert customer.status == "ACTIVE"
    assert customer.plan_id == world.plan.id
    assert await customer_events(db, "customer.deactivate") == []


async def test_a_subscription_change_updates_every_key_in_its_transaction(
    world: World, db: Database, gql: GraphQL, factory: Factory
) -> None:
    await _keys(gql, world, 2)
    await factory.plan("bigger", rate_per_second=7)
    await factory.plan("biggest", rate_per_second=9)

    async def upgrade(uow: UnitOfWork) -> None:
        await subscriptions.change_plan(
            uow, customer_id=world.own.id, plan_code="bigger", behavior=ProrationBehavior.NONE
        )

    await db.run(upgrade, actor=Actor.system("test"), row_scope=EVERYTHING)
    assert {r.rate_per_second for r in await key_rows(db)} == {7}

    async def override(uow: UnitOfWork) -> None:
        # Two changes in one unit of work: the keys follow the final state.
        await subscriptions.change_plan(
            uow,
            customer_id=world.own.id,
            plan_code="biggest",
            behavior=ProrationBehavior.NONE,
        )
        await subscriptions.override_limits(
            uow,
            customer_id=world.own.id,
            limits=Limits(rate_per_second=11),
            given=frozenset({"ratePerSecond"}),
            reason="pilot",
        )

    await db.run(override, actor=Actor.system("test"), row_scope=EVERYTHING)
    assert {r.rate_per_second for r in await key_rows(db)} == {11}
    again = await db.run(
        lambda uow: fanout.refresh_customer_keys(uow, world.own.id),
        actor=Actor.system("test"),
        row_scope=EVERYTHING,
    )
    assert again == 0


async def test_a_dry_run_deactivation_changes_no_key(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _keys(gql, world, 2)
    payload = await DEACTIVATE.ok(
        gql,
        {"customerId": gid("cus", world.own), "reason": "test"},
        token=world.master,
        dry_run=True,
    )
    assert payload["customer"]["status"] == "DEACTIVATED"
    assert all(r.enabled for r in await key_rows(db))
