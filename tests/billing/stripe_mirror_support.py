"""Helpers of the Stripe mirroring tests: a mirrored customer, the keys the app forwards."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.graphql.mutation import provider_key
from app.models import Customer
from app.models.tables import AUDIT_EVENTS, MASTER_KEYS, SUBSCRIPTIONS
from tests.billing.conftest import Mirrored
from tests.billing.fake_stripe import Recorded
from tests.helpers import Factory, Mutation, gid
from tests.support import rows

SUBSCRIPTION = "subscription { id status planVersion cancelAtPeriodEnd plan { code } }"
SUBSCRIPTION_CREATE = Mutation("subscriptionCreate", SUBSCRIPTION)
CHANGE_PLAN = Mutation("subscriptionChangePlan", SUBSCRIPTION)
CANCEL = Mutation("subscriptionCancel", SUBSCRIPTION)
RESUME = Mutation("subscriptionResume", SUBSCRIPTION)
COUPON_CREATE = Mutation("couponCreate", "coupon { code stripeCouponId }")


async def master(factory: Factory) -> tuple[str, str]:
    """A master key's token and its idempotency owner (`mky:<id>`)."""
    token = await factory.master_key()
    [row] = await rows(factory.db, sa.select(MASTER_KEYS.c.id))
    return token, f"mky:{row.id.hex}"


def key_of(owner: str, operation: str, key: str, call: str) -> str:
    """The idempotency key of one Stripe call of a mutation sent with `key`."""
    forwarded = provider_key(owner, operation, key)
    assert forwarded is not None
    return f"{forwarded}:{call}"


def sent(mirrored: Mirrored, method: str, path: str) -> list[Recorded]:
    return [r for r in mirrored.fake.requests if r.method == method and r.path == path]


async def subscribed(
    mirrored: Mirrored, token: str, customer: Customer, plan_code: str = "pro"
) -> dict[str, Any]:
    """A subscription made through subscriptionCreate, so Stripe has it; the local row."""
    await SUBSCRIPTION_CREATE.ok(
        mirrored.gql, {"customerId": gid("cus", customer), "planCode": plan_code}, token=token
    )
    return await subscription_row(mirrored.app.state.db, customer)


async def subscription_row(db: Database, customer: Customer) -> dict[str, Any]:
    found = await rows(
        db, sa.select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.customer_id == customer.id)
    )
    [row] = [r for r in found if r.status != "CANCELED"] or found[-1:]
    return dict(row._mapping)


async def audited(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)
