"""POST /webhooks/stripe: signatures, the stored event ids, and the rules, over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.db import Database
from app.main import create_app
from app.models.tables import AUDIT_EVENTS, STRIPE_EVENTS
from tests.billing.memory_state import MemoryBillingState
from tests.conftest import make_settings
from tests.support import rows

SECRET = "whsec_admiral_test"


def signed(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """Stripe's signature scheme: HMAC-SHA256 of `<t>.<payload>`, header `t=…,v1=…`."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return {
        "Stripe-Signature": f"t={timestamp},v1={mac.hexdigest()}",
        "Content-Type": "application/json",
    }


def stripe_event(
    event_id: str, kind: str, obj: dict[str, Any], created: int | None = None
) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "api_version": "2026-10-28.endive",
    }
    return orjson.dumps(body)


def subscription(status: str, period_end: int) -> dict[str, Any]:
    item = {"id": "si_1", "current_period_end": period_end}
    return {"id": "sub_1", "object": "subscription", "status": status, "items": {"data": [item]}}


@pytest.fixture
def state() -> MemoryBillingState:
    return MemoryBillingState()


@pytest.fixture(scope="module")
async def stripe_app(
    migrated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Starlette]:
    secret_file: Path = tmp_path_factory.mktemp("stripe") / "secret"
    application = create_app(make_settings(migrated_url, secret_file, stripe_webhook_secret=SECRET))
    yield application
    await application.state.db.dispose()


@pytest.fixture
async def stripe_client(
    stripe_app: Starlette, db: Database, state: MemoryBillingState
) -> AsyncIterator[httpx.AsyncClient]:
    stripe_app.state.stripe_billing_state = lambda uow: state
    transport = httpx.ASGITransport(app=stripe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def send(client: httpx.AsyncClient, payload: bytes, **signing: Any) -> httpx.Response:
    return await client.post(
        "/webhooks/stripe", content=payload, headers=signed(payload, **signing)
    )


async def stored(db: Database) -> list[tuple[str, str, str | None]]:
    found = await rows(
        db,
        sa.select(STRIPE_EVENTS.c.id, STRIPE_EVENTS.c.status, STRIPE_EVENTS.c.object_id).order_by(
            STRIPE_EVENTS.c.received_at
        ),
    )
    return [(row.id, row.status, row.object_id) for row in found]


async def test_a_signed_event_is_applied_and_stored(
    stripe_client: httpx.AsyncClient, db: Database, state: MemoryBillingState
) -> None:
    customer = state.add_subscription("sub_1", "ACTIVE").customer_id
    payload = stripe_event(
        "evt_1", "customer.subscription.updated", subscription("past_due", 1_800_000_000)
    )
    answer = await send(stripe_client, payload)
    assert answer.status_code == 200
    assert answer.json() == {"received": True, "id": "evt_1", "status": "APPLIED"}
    assert state.subscriptions["sub_1"].status == "PAST_DUE"
    assert await stored(db) == [("evt_1", "APPLIED", "sub_1")]
    [audit] = await rows(db, sa.select(AUDIT_EVENTS))
    assert (audit.action, audit.target_id, audit.customer_id) == (
        "billing.stripe_event_applied",
        "evt_1",
        customer,
    )


async def test_a_repeat_answers_200_without_acting(
    stripe_client: httpx.AsyncClient, db: Database, state: MemoryBillingState
) -> None:
    state.add_subscription("sub_1", "ACTIVE")
    payload = stripe_event(
        "evt_2", "customer.subscription.updated", subscription("past_due", 1_800_000_000)
    )
    assert (await send(stripe_client, payload)).status_code == 200
    state.add_subscription("sub_1", "ACTIVE")  # an operator fixed it meanwhile
    again = await send(stripe_client, payload)
    assert again.status_code == 200
    assert again.json() == {"received": True, "id": "evt_2", "duplicate": True}
    assert state.subscriptions["sub_1"].status == "ACTIVE"
    assert state.changes == 1
    assert len(await stored(db)) == 1


async def test_an_unknown_type_is_stored_as_ignored(
    stripe_client: httpx.AsyncClient, db: Database
) -> None:
    payload = stripe_event("evt_3", "charge.refunded", {"id": "ch_1", "object": "charge"})
    answer = await send(stripe_client, payload)
    assert answer.status_code == 200
    assert answer.json()["status"] == "IGNORED"
    assert await stored(db) == [("evt_3", "IGNORED", "ch_1")]
    assert await rows(db, sa.select(AUDIT_EVENTS)) == []


async def test_under_the_override_the_event_is_skipped_and_recorded(
    stripe_client: httpx.AsyncClient, db: Database, state: MemoryBillingState
) -> None:
    customer = state.add_subscription("sub_1", "ACTIVE", override=True).customer_id
    payload = stripe_event(
        "evt_4", "customer.subscription.deleted", subscription("canceled", 1_800_000_000)
    )
    answer = await send(stripe_client, payload)
    assert answer.json()["status"] == "SKIPPED_OVERRIDE"
    assert state.subscriptions["sub_1"].status == "ACTIVE"
    assert state.skips == [("evt_4", "sub_1", "admin override")]
    [row] = await rows(db, sa.select(STRIPE_EVENTS))
    assert (row.status, row.customer_id, row.timeline_id) == ("SKIPPED_OVERRIDE", customer, "sub_1")
    [audit] = await rows(db, sa.select(AUDIT_EVENTS.c.action))
    assert audit.action == "billing.stripe_event_skipped_override"


async def test_an_event_older_than_the_last_applied_is_out_of_order(
    stripe_client: httpx.AsyncClient, db: Database, state: MemoryBillingState
) -> None:
    state.add_subscription("sub_1", "PAST_DUE")
    now = int(time.time())
    newer = stripe_event(
        "evt_new", "customer.subscription.updated", subscription("active", 1_800_000_000), now
    )
    older = stripe_event(
        "evt_old",
        "customer.subscription.updated",
        subscription("past_due", 1_800_000_000),
        now - 60,
    )
    assert (await send(stripe_client, newer)).json()["status"] == "APPLIED"
    assert (await send(stripe_client, older)).json()["status"] == "OUT_OF_ORDER"
    assert state.subscriptions["sub_1"].status == "ACTIVE"
    assert [(i, s) for i, s, _ in await stored(db)] == [
        ("evt_new", "APPLIED"),
        ("evt_old", "OUT_OF_ORDER"),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"secret": "whsec_someone_else"}, id="bad-signature"),
        pytest.param({"at": int(time.time()) - 301}, id="stale-timestamp"),
        pytest.param({"at": int(time.time()) + 3600}, id="future-timestamp"),
    ],
)
async def test_a_signature_that_does_not_verify_is_400(
    stripe_client: httpx.AsyncClient, db: Database, headers: dict[str, Any]
) -> None:
    payload = stripe_event("evt_5", "invoice.paid", {"id": "in_1"})
    answer = await send(stripe_client, payload, **headers)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_INVALID"
    assert await stored(db) == []


async def test_a_missing_signature_or_a_changed_body_is_400(
    stripe_client: httpx.AsyncClient, db: Database
) -> None:
    payload = stripe_event("evt_6", "invoice.paid", {"id": "in_1"})
    missing = await stripe_client.post(
        "/webhooks/stripe", content=payload, headers={"Content-Type": "application/json"}
    )
    assert missing.status_code == 400
    changed = await stripe_client.post(
        "/webhooks/stripe", content=payload.replace(b"in_1", b"in_2"), headers=signed(payload)
    )
    assert changed.status_code == 400
    assert changed.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_INVALID"
    assert await stored(db) == []


async def test_a_signed_body_that_is_no_event_is_400(stripe_client: httpx.AsyncClient) -> None:
    answer = await send(stripe_client, b'{"hello": "world"}')
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_without_a_signing_secret_the_endpoint_is_unavailable(
    client: httpx.AsyncClient,
) -> None:
    payload = stripe_event("evt_7", "invoice.paid", {"id": "in_1"})
    answer = await client.post("/webhooks/stripe", content=payload, headers=signed(payload))
    assert answer.status_code == 503


async def test_before_the_billing_tables_know_stripe_ids_every_event_is_ignored(
    stripe_app: Starlette, db: Database
) -> None:
    """The state the endpoint uses unless the billing domain provides one."""
    if hasattr(stripe_app.state, "stripe_billing_state"):
        del stripe_app.state.stripe_billing_state
    transport = httpx.ASGITransport(app=stripe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for kind, obj in [
            ("customer.subscription.updated", subscription("active", 1_800_000_000)),
            ("invoice.paid", {"id": "in_1", "object": "invoice"}),
        ]:
            answer = await send(http, stripe_event(f"evt_{kind}", kind, obj))
            assert answer.json()["status"] == "IGNORED"
