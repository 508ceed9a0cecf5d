"""The app configured with localstripe: a subscription canceled there reaches the real row
by its signed webhook. (localstripe refuses a coupon's `name`, which couponCreate always sends,
and knows no prices on subscriptions: the mirrored mutations are tested against
`fake_stripe.py` in test_stripe_mirror.py.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.billing.gateway.stripe import StripeGateway
from app.db import Database
from app.main import create_app
from app.models.tables import STRIPE_EVENTS
from tests.billing.conftest import API_KEY
from tests.billing.servers import served
from tests.billing.stripe_mirror_support import subscription_row
from tests.billing.test_stripe_localstripe import subscribed_customer, subscriptions
from tests.conftest import make_settings
from tests.helpers import Factory
from tests.support import rows

WEBHOOK_SECRET = "whsec_localstripe_mirror"


@pytest.fixture
async def live_app(
    migrated_url: str, tmp_path: Path, db: Database, localstripe_url: str
) -> AsyncIterator[tuple[Starlette, str]]:
    settings = make_settings(
        migrated_url,
        tmp_path / "secret",
        stripe_api_key=API_KEY,
        stripe_api_base=localstripe_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    application = create_app(settings)
    async with served(application) as url:
        yield application, url


async def test_a_cancellation_in_localstripe_cancels_the_row(
    local_gateway: StripeGateway,
    localstripe_url: str,
    live_app: tuple[Starlette, str],
    factory: Factory,
    db: Database,
) -> None:
    _, url = live_app
    hook = f"admiral{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{localstripe_url}/_config/webhooks/{hook}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={
                "url": f"{url}/webhooks/stripe",
                "secret": WEBHOOK_SECRET,
                "events": ["customer.subscription.deleted"],
            },
        )
        assert registered.status_code == 200
    try:
        buyer = await subscribed_customer(local_gateway, localstripe_url, "pm_card_visa")
        stripe_id = subscriptions[buyer]
        plan = await factory.plan("pro", price_amount=100)
        customer = await factory.customer()
        await factory.subscription(
            customer, plan, stripe_subscription_id=stripe_id, stripe_customer_id=buyer
        )
        await local_gateway.undo_subscription(stripe_id)
        statement = sa.select(STRIPE_EVENTS.c.status).where(STRIPE_EVENTS.c.object_id == stripe_id)
        async with asyncio.timeout(15):  # localstripe waits a second before it sends
            while not (found := await rows(db, statement)):  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.1)
        assert [row.status for row in found] == ["APPLIED"]
        assert (await subscription_row(db, customer))["status"] == "CANCELED"
    finally:
        async with httpx.AsyncClient() as http:
            await http.post(
                f"{localstripe_url}/_config/webhooks/{hook}",
                headers={"Authorization": f"Bearer {API_KEY}"},
                json={"url": "http://127.0.0.1:9/", "secret": WEBHOOK_SECRET, "events": []},
            )
