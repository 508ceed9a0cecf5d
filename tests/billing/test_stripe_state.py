"""Stripe's webhook events applied to the real rows (`TableBillingState`), end to end: a
subscription made through subscriptionCreate against the fake Stripe, then signed events
posted to /webhooks/stripe of the same app."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from app.db import Database
from app.models import Customer
from app.models.tables import (
    AUDIT_EVENTS,
    CUSTOMERS,
    INVOICES,
    OUTBOX_EVENTS,
    PAYMENT_ATTEMPTS,
    STRIPE_EVENTS,
)
from tests.billing import invoice_support as inv
from tests.billing.conftest import WEBHOOK_SECRET, Mirrored
from tests.billing.stripe_mirror_support import master, subscribed, subscription_row
from tests.helpers import Factory, Mutation, gid
from tests.support import rows

BILLING_OVERRIDE = Mutation("billingOverrideSet", "subscription { billingOverride }")
SKIPS = """query($id: ID!) {
  customer(id: $id) { billingOverrideSkips { totalCount nodes { providerEventId eventType reason } } }
}"""


def signed(payload: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={timestamp},v1={mac.hexdigest()}",
        "Content-Type": "application/json",
    }


class Events:
    """Posts Stripe events about one subscription; each call a new event id."""

    def __init__(self, mirrored: Mirrored, stripe_subscription_id: str) -> None:
        self.mirrored, self.sub = mirrored, stripe_subscription_id
        self.count = 0

    async def post(
        self, kind: str, obj: dict[str, Any], created: int, event_id: str | None = None
    ) -> dict[str, Any]:
        self.count += 1
        body = orjson.dumps(
            {
                "id": event_id or f"evt_{self.sub}_{self.count}",
                "object": "event",
                "type": kind,
                "created": created,
                "data": {"object": obj},
            }
        )
        answer = await self.mirrored.http.post(
            "/webhooks/stripe", content=body, headers=signed(body)
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def subscription(
        self, status: str, period_end: int, created: int, **fields: Any
    ) -> dict[str, Any]:
        item = {"id": "si_1", "current_period_end": period_end}
        obj = {
            "id": self.sub,
            "object": "subscription",
            "status": status,
            "items": {"data": [item]},
            **fields,
        }
        return await self.post("customer.subscription.updated", obj, created)

    async def invoice(self, kind: str, stripe_invoice_id: str, created: int) -> dict[str, Any]:
        obj = {
            "id": stripe_invoice_id,
            "object": "invoice",
            "parent": {"subscription_details": {"subscription": self.sub}},
        }
        return await self.post(kind, obj, created)


@pytest.fixture
async def setup(
    mirrored: Mirrored, factory: Factory
) -> tuple[str, Customer, dict[str, Any], Events]:
    await factory.plan("pro", name="Pro", price_amount=4_900)
    token, _ = await master(factory)
    customer = await factory.customer()
    row = await subscribed(mirrored, token, customer)
    return token, customer, row, Events(mirrored, row["stripe_subscription_id"])


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


async def test_subscription_updated_changes_the_row(
    setup: tuple[str, Customer, dict[str, Any], Events], db: Database
) -> None:
    _, customer, row, events = setup
    end = ts(row["current_period_end"]) + 86_400
    answer = await events.subscription("past_due", end, int(time.time()), cancel_at_period_end=True)
    assert answer["status"] == "APPLIED"
    after = await subscription_row(db, customer)
    assert after["status"] == "PAST_DUE"
    assert after["cancel_at_period_end"] is True
    assert after["current_period_end"] == datetime.fromtimestamp(end, UTC)
    [audit] = await rows(
        db, sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == "subscription.provider_update")
    )
    assert (audit.actor_type, audit.actor_id, audit.customer_id) == (
        "SYSTEM",
        "stripe-webhook",
        customer.id,
    )
    published = await rows(db, sa.select(OUTBOX_EVENTS.c.event_type, OUTBOX_EVENTS.c.data))
    assert any(
        e.event_type == "subscription.updated" and e.data["status"] == "PAST_DUE" for e in published
    )


async def test_subscription_deleted_cancels(
    setup: tuple[str, Customer, dict[str, Any], Events], db: Database
) -> None:
    _, customer, row, events = setup
    obj = {"id": row["stripe_subscription_id"], "object": "subscription", "status": "canceled"}
    answer = await events.post("customer.subscription.deleted", obj, int(time.time()))
    assert answer["status"] == "APPLIED"
    after = await subscription_row(db, customer)
    assert after["status"] == "CANCELED"
    assert after["canceled_at"] is not None
    [plan] = await rows(db, sa.select(CUSTOMERS.c.plan_id).where(CUSTOMERS.c.id == customer.id))
    assert plan.plan_id is None
    published = [e.event_type for e in await rows(db, sa.select(OUTBOX_EVENTS.c.event_type))]
    assert "subscription.canceled" in published
    # Canceled is final: a later update does not revive it.
    later = await events.subscription("active", ts(row["current_period_end"]), int(time.time()) + 5)
    assert later["status"] == "OUT_OF_ORDER"
    assert (await subscription_row(db, customer))["status"] == "CANCELED"


async def test_invoice_payment_failed_then_paid(
    setup: tuple[str, Customer, dict[str, Any], Events], db: Database
) -> None:
    _, customer, _, events = setup
    invoice = await inv.finalized(db, customer, [4_900])
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(INVOICES)
            .where(INVOICES.c.id == invoice.id)
            .values(stripe_invoice_id="in_stripe_1")
        )
    now = int(time.time())
    failed = await events.invoice("invoice.payment_failed", "in_stripe_1", now)
    assert failed["status"] == "APPLIED"
    assert (await subscription_row(db, customer))["status"] == "PAST_DUE"
    [attempt] = await rows(db, sa.select(PAYMENT_ATTEMPTS))
    assert (attempt.status, attempt.gateway, attempt.provider_payment_id) == (
        "FAILED",
        "stripe",
        "in_stripe_1",
    )
    paid = await events.invoice("invoice.paid", "in_stripe_1", now + 1)
    assert paid["status"] == "APPLIED"
    [stored] = await rows(db, sa.select(INVOICES).where(INVOICES.c.id == invoice.id))
    assert (stored.status, stored.amount_due, stored.amount_paid) == ("PAID", 0, 4_900)
    assert (await subscription_row(db, customer))["status"] == "ACTIVE"
    published = [e.event_type for e in await rows(db, sa.select(OUTBOX_EVENTS.c.event_type))]
    assert {"invoice.payment_failed", "invoice.paid"} <= set(published)
    # A late failure of a paid invoice is out of order.
    late = await events.invoice("invoice.payment_failed", "in_stripe_1", now + 2)
    assert late["status"] == "OUT_OF_ORDER"
    assert (await subscription_row(db, customer))["status"] == "ACTIVE"


async def test_out_of_order_never_moves_state_backwards(
    setup: tuple[str, Customer, dict[str, Any], Events], db: Database
) -> None:
    _, customer, row, events = setup
    end = ts(row["current_period_end"])
    now = int(time.time())
    assert (await events.subscription("past_due", end, now + 10))["status"] == "APPLIED"
    older = await events.subscription("active", end, now)
    assert older["status"] == "OUT_OF_ORDER"
    assert (await subscription_row(db, customer))["status"] == "PAST_DUE"
    earlier_period = await events.subscription("active", end - 86_400, now + 20)
    assert earlier_period["status"] == "OUT_OF_ORDER"
    assert (await subscription_row(db, customer))["status"] == "PAST_DUE"


async def test_a_repeated_event_answers_200_without_acting(
    setup: tuple[str, Customer, dict[str, Any], Events], db: Database
) -> None:
    _, customer, row, events = setup
    end = ts(row["current_period_end"])
    first = await events.post(
        "customer.subscription.updated",
        {
            "id": row["stripe_subscription_id"],
            "status": "past_due",
            "items": {"data": [{"current_period_end": end}]},
        },
        int(time.time()),
        event_id="evt_once",
    )
    assert first["status"] == "APPLIED"
    again = await events.post(
        "customer.subscription.updated",
        {
            "id": row["stripe_subscription_id"],
            "status": "active",
            "items": {"data": [{"current_period_end": end}]},
        },
        int(time.time()),
        event_id="evt_once",
    )
    assert again["duplicate"] is True
    assert (await subscription_row(db, customer))["status"] == "PAST_DUE"
    audits = await rows(
        db, sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == "subscription.provider_update")
    )
    assert len(audits) == 1
    assert len(await rows(db, sa.select(STRIPE_EVENTS))) == 1


async def test_under_the_override_nothing_changes_and_skips_are_listed(
    setup: tuple[str, Customer, dict[str, Any], Events], mirrored: Mirrored, db: Database
) -> None:
    token, customer, row, events = setup
    who = {"customerId": gid("cus", customer), "reason": "Invoiced by hand"}
    await BILLING_OVERRIDE.ok(mirrored.gql, {**who, "enabled": True}, token=token)
    end = ts(row["current_period_end"])
    skipped_at = int(time.time())
    skipped = await events.subscription("past_due", end + 86_400, skipped_at)
    assert skipped["status"] == "SKIPPED_OVERRIDE"
    after = await subscription_row(db, customer)
    assert (after["status"], after["current_period_end"]) == ("ACTIVE", row["current_period_end"])
    data = await mirrored.gql.ok(SKIPS, {"id": gid("cus", customer)}, token=token)
    skips = data["customer"]["billingOverrideSkips"]
    assert skips["totalCount"] == 1
    assert skips["nodes"][0]["eventType"] == "customer.subscription.updated"
    assert skips["nodes"][0]["providerEventId"] == f"evt_{row['stripe_subscription_id']}_1"

    # Cleared: the state handed back counts as the newest; what Stripe said before never lands.
    await BILLING_OVERRIDE.ok(mirrored.gql, {**who, "enabled": False}, token=token)
    stale = await events.subscription("past_due", end + 86_400, skipped_at - 1)
    assert stale["status"] == "OUT_OF_ORDER"
    assert (await subscription_row(db, customer))["status"] == "ACTIVE"
    fresh = await events.subscription("past_due", end + 86_400, int(time.time()) + 2)
    assert fresh["status"] == "APPLIED"
    assert (await subscription_row(db, customer))["status"] == "PAST_DUE"
