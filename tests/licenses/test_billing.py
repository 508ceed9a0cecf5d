"""Coupling with billing: a canceled (or long past-due) subscription holds the customer's
licenses, paying releases them; audited as the system, with outbox events."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.licenses.loops import reconcile_billing
from app.models import SubscriptionStatus
from app.models.tables import SUBSCRIPTIONS
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.licenses.support import (
    LICENSE_REINSTATE,
    LICENSE_SUSPEND,
    events,
    issue,
    new_license,
    outbox,
    validate,
)

CANCEL = Mutation("subscriptionCancel", "subscription { status }")
CREATE = Mutation("subscriptionCreate", "subscription { status }")
GRACE = timedelta(days=7)
STATUS = "query($id: ID!) { license(id: $id) { status billingSuspendedAt } }"


async def _status(gql: GraphQL, world: World, license_id: str) -> str:
    data = await gql.ok(STATUS, {"id": license_id}, token=world.master)
    return str(data["license"]["status"])


async def _set_status(db: Database, world: World, status: SubscriptionStatus) -> None:
    """As the renewal loop or a payment provider would, without the hook."""
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.customer_id == world.own.id)
            .values(status=status.value)
        )


async def test_cancel_suspends_in_the_same_transaction_and_paying_reinstates(
    gql: GraphQL, world: World, factory: Factory, db: Database, client: httpx.AsyncClient
) -> None:
    license, key = await issue(gql, world.master, new_license(world, maxMachines=0))
    other, _ = await issue(
        gql, world.master, new_license(world, customerId=gid("cus", world.other), maxMachines=0)
    )
    cancel = {"customerId": gid("cus", world.own), "atPeriodEnd": False}
    await CANCEL.ok(gql, cancel, token=world.master, dry_run=True)
    assert await _status(gql, world, license["id"]) == "ACTIVE"
    await CANCEL.ok(gql, cancel, token=world.master)
    assert await _status(gql, world, license["id"]) == "SUSPENDED"
    assert await _status(gql, world, other["id"]) == "ACTIVE"
    assert (await validate(client, key))["code"] == "SUSPENDED"
    [event] = await events(db, "license.billing_suspend")
    assert (event.actor_type, event.actor_id) == ("SYSTEM", "license-billing")
    [cancel_event] = await events(db, "subscription.cancel")
    assert cancel_event.actor_type == "MASTER_KEY"
    [suspended] = await outbox(db, "license.suspended")
    assert suspended["licenseId"] == license["id"]
    assert suspended["reason"] == "subscription canceled"
    # An operator may not lift a hold by billing; a new license of the customer is held too.
    refused = await LICENSE_REINSTATE.refused(gql, {"licenseId": license["id"]}, token=world.master)
    assert refused == [("INVALID_STATE", ["input", "licenseId"])]
    held, _ = await issue(gql, world.master, new_license(world, maxMachines=0))
    assert held["status"] == "SUSPENDED"
    await CREATE.ok(
        gql, {"customerId": gid("cus", world.own), "planCode": "pro"}, token=world.master
    )
    assert await _status(gql, world, license["id"]) == "ACTIVE"
    assert await _status(gql, world, held["id"]) == "ACTIVE"
    assert (await validate(client, key))["code"] == "VALID"
    assert len(await outbox(db, "license.reinstated")) == 2
    [reinstate_event, _] = await events(db, "license.billing_reinstate")
    assert reinstate_event.actor_type == "SYSTEM"


async def test_past_due_suspends_after_the_grace_period_through_the_loop(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    await _set_status(db, world, SubscriptionStatus.PAST_DUE)
    assert await reconcile_billing(db, GRACE) == 0  # notes since when, suspends nothing yet
    with clock.travel(timedelta(days=6)):
        assert await reconcile_billing(db, GRACE) == 0
        assert await _status(gql, world, license["id"]) == "ACTIVE"
    with clock.travel(timedelta(days=8)):
        assert await reconcile_billing(db, GRACE) == 1
        assert await reconcile_billing(db, GRACE) == 0  # a second process finds nothing to do
        assert await _status(gql, world, license["id"]) == "SUSPENDED"
        await _set_status(db, world, SubscriptionStatus.ACTIVE)  # paid
        assert await reconcile_billing(db, GRACE) == 1
        assert await _status(gql, world, license["id"]) == "ACTIVE"
    assert [e["licenseId"] for e in await outbox(db, "license.suspended")] == [license["id"]]
    assert [e["licenseId"] for e in await outbox(db, "license.reinstated")] == [license["id"]]


async def test_the_loop_catches_a_cancellation_made_without_the_hook(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    await _set_status(db, world, SubscriptionStatus.CANCELED)
    assert await reconcile_billing(db, GRACE) == 1
    assert await _status(gql, world, license["id"]) == "SUSPENDED"


async def test_paying_keeps_an_operators_suspension(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    await LICENSE_SUSPEND.ok(gql, {"licenseId": license["id"]}, token=world.master)
    await CANCEL.ok(
        gql, {"customerId": gid("cus", world.own), "atPeriodEnd": False}, token=world.master
    )
    await CREATE.ok(
        gql, {"customerId": gid("cus", world.own), "planCode": "pro"}, token=world.master
    )
    data = await gql.ok(STATUS, {"id": license["id"]}, token=world.master)
    assert data["license"] == {"status": "SUSPENDED", "billingSuspendedAt": None}


async def test_a_customer_without_subscription_is_not_held(
    gql: GraphQL, world: World, db: Database
) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    assert await reconcile_billing(db, GRACE) == 0
    assert await _status(gql, world, license["id"]) == "ACTIVE"
