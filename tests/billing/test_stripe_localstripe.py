"""The Stripe gateway against localstripe, a stateful Stripe emulator, over real HTTP.

localstripe speaks the legacy API only: customers, legacy plans, invoice items, invoices
(create, pay), coupons with an explicit id and signed webhooks. What it lacks (prices on
subscriptions, `proration_behavior`, invoice finalize, credit notes, balance transactions)
is tested against `fake_stripe.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import stripe
from starlette.applications import Starlette

from app.billing.gateway.stripe import StripeGateway
from app.billing.gateway.stripe_types import ChargeRequest, CouponDuration, CouponSpec, PlanPrice
from app.db import Database
from app.main import create_app
from app.models.tables import STRIPE_EVENTS
from tests.billing.conftest import API_KEY
from tests.billing.memory_state import MemoryBillingState
from tests.billing.servers import served
from tests.conftest import make_settings
from tests.support import rows

WEBHOOK_SECRET = "whsec_localstripe"


def sdk(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": url}, max_network_retries=0)


async def customer_with_card(gateway: StripeGateway, url: str, card: str) -> str:
    created = await gateway.ensure_customer(
        customer_id=f"cus_{uuid.uuid4().hex[:8]}", name="Acme", idempotency_key=None
    )
    client = sdk(url)
    await asyncio.to_thread(client.v1.payment_methods.attach, card, {"customer": created})
    settings = {"invoice_settings": {"default_payment_method": card}}
    await asyncio.to_thread(client.v1.customers.update, created, settings)  # type: ignore[arg-type]
    return created


subscriptions: dict[str, str] = {}  # customer → the subscription `subscribed_customer` made


async def subscribed_customer(gateway: StripeGateway, url: str, card: str) -> str:
    """localstripe invoices only customers with a subscription: one on a legacy plan, paid
    by card; then `card` becomes the default payment method."""
    buyer = await customer_with_card(gateway, url, "pm_card_visa")
    plan = PlanPrice(f"base{uuid.uuid4().hex[:6]}", 1, "Base", 100, "EUR", "MONTH")
    plan_id = await gateway.ensure_plan(plan, idempotency_key=None)
    client = sdk(url)
    params = {"customer": buyer, "items": [{"plan": plan_id}]}
    made = await asyncio.to_thread(client.v1.subscriptions.create, params)  # type: ignore[arg-type]
    subscriptions[buyer] = made.id
    if card != "pm_card_visa":
        await asyncio.to_thread(client.v1.payment_methods.attach, card, {"customer": buyer})
        settings = {"invoice_settings": {"default_payment_method": card}}
        await asyncio.to_thread(client.v1.customers.update, buyer, settings)  # type: ignore[arg-type]
    return buyer


def charge(amount: int = 4_200) -> ChargeRequest:
    return ChargeRequest(
        uuid.uuid4(), "2026-000007", uuid.uuid4(), amount, "EUR", "Starter, December"
    )


async def test_ensure_customer(local_gateway: StripeGateway, localstripe_url: str) -> None:
    created = await local_gateway.ensure_customer(
        customer_id="cus_local", name="Acme", email="a@acme.test", idempotency_key="k-1"
    )
    found = await asyncio.to_thread(sdk(localstripe_url).v1.customers.retrieve, created)
    assert found.metadata.to_dict() == {"admiral_customer_id": "cus_local"}
    assert found.email == "a@acme.test"


async def test_ensure_plan_makes_a_legacy_plan_once(
    local_gateway: StripeGateway, localstripe_url: str
) -> None:
    code = f"starter{uuid.uuid4().hex[:6]}"
    plan = PlanPrice(code, 1, "Starter", 100_000_00, "USD", "YEAR")
    assert await local_gateway.ensure_plan(plan, idempotency_key=None) == f"{code}-v1"
    assert await local_gateway.ensure_plan(plan, idempotency_key=None) == f"{code}-v1"
    found = await asyncio.to_thread(sdk(localstripe_url).v1.plans.retrieve, f"{code}-v1")
    assert (found.amount, found.interval, found.currency) == (100_000_00, "year", "usd")


@pytest.mark.parametrize(
    "spec",
    [
        CouponSpec("PCT", CouponDuration.ONCE, percent_off=15.0),
        CouponSpec(
            "AMT", CouponDuration.REPEATING, amount_off=1_000, currency="EUR", duration_in_months=3
        ),
        CouponSpec("FOREVER", CouponDuration.FOREVER, percent_off=5.5),
    ],
    ids=lambda spec: spec.code,
)
async def test_coupons_keep_their_code(
    local_gateway: StripeGateway, localstripe_url: str, spec: CouponSpec
) -> None:
    code = f"{spec.code}{uuid.uuid4().hex[:6]}"
    spec = dataclasses.replace(spec, code=code)
    assert await local_gateway.create_coupon(spec, idempotency_key=None) == code
    found = await asyncio.to_thread(sdk(localstripe_url).v1.coupons.retrieve, code)
    assert found.duration == spec.duration.value.lower()
    assert found.percent_off == spec.percent_off
    assert found.amount_off == spec.amount_off
    await local_gateway.undo_coupon(code)


async def test_an_invoice_is_made_and_paid(
    local_gateway: StripeGateway, localstripe_url: str
) -> None:
    buyer = await subscribed_customer(local_gateway, localstripe_url, "pm_card_visa")
    request = charge(4_200)
    invoice = await local_gateway.draft_invoice(request, customer=buyer, key="inv-1")
    found = await asyncio.to_thread(sdk(localstripe_url).v1.invoices.retrieve, invoice)
    assert found.status == "draft"
    lines = [(line.amount, line.description) for line in found.lines.data]
    assert (4_200, "Starter, December") in lines
    # (localstripe keeps no invoice metadata; the test server checks it.)
    # localstripe has no finalize: paying its draft finalizes it, as Stripe does.
    assert await local_gateway.pay_invoice(invoice, key="inv-1") == "paid"


async def test_a_declined_card_leaves_the_invoice_open(
    local_gateway: StripeGateway, localstripe_url: str
) -> None:
    buyer = await subscribed_customer(local_gateway, localstripe_url, "pm_card_chargeCustomerFail")
    invoice = await local_gateway.draft_invoice(charge(), customer=buyer, key=None)
    assert await local_gateway.pay_invoice(invoice, key=None) == "open"


@pytest.fixture
async def live_app(
    migrated_url: str, tmp_path: Path, db: Database
) -> AsyncIterator[tuple[Starlette, str]]:
    settings = make_settings(
        migrated_url, tmp_path / "secret", stripe_webhook_secret=WEBHOOK_SECRET
    )
    application = create_app(settings)
    async with served(application) as url:
        yield application, url


async def test_localstripe_sends_signed_events_our_endpoint_applies(
    local_gateway: StripeGateway,
    localstripe_url: str,
    live_app: tuple[Starlette, str],
    db: Database,
) -> None:
    """End to end: a subscription canceled in localstripe reaches /webhooks/stripe as a
    signed `customer.subscription.deleted`, which cancels the local subscription.

    (localstripe signals `invoice.payment_failed` only for asynchronous payment methods, and
    an invoice payment as `invoice.payment_succeeded`: those rules are tested over HTTP with
    our own signatures in test_stripe_webhooks.py.)"""
    application, url = live_app
    state = MemoryBillingState()
    application.state.stripe_billing_state = lambda uow: state
    hook = f"admiral{uuid.uuid4().hex[:6]}"
    events = ["customer.subscription.deleted"]
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{localstripe_url}/_config/webhooks/{hook}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={"url": f"{url}/webhooks/stripe", "secret": WEBHOOK_SECRET, "events": events},
        )
        assert registered.status_code == 200
    try:
        buyer = await subscribed_customer(local_gateway, localstripe_url, "pm_card_visa")
        subscription = subscriptions[buyer]
        state.add_subscription(subscription, "ACTIVE")
        await local_gateway.undo_subscription(subscription)
        statement = sa.select(STRIPE_EVENTS.c.type, STRIPE_EVENTS.c.status).where(
            STRIPE_EVENTS.c.object_id == subscription
        )
        async with asyncio.timeout(15):  # localstripe waits a second before it sends
            while not (found := await rows(db, statement)):  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.1)
        assert [(row.type, row.status) for row in found] == [
            ("customer.subscription.deleted", "APPLIED")
        ]
        assert state.subscriptions[subscription].status == "CANCELED"
    finally:
        async with httpx.AsyncClient() as http:
            # Point the hook at nothing that answers, so later tests' events go nowhere.
            await http.post(
                f"{localstripe_url}/_config/webhooks/{hook}",
                headers={"Authorization": f"Bearer {API_KEY}"},
                json={"url": "http://127.0.0.1:9/", "secret": WEBHOOK_SECRET, "events": []},
            )
