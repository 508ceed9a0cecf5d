"""Fixtures of the Stripe tests: the fake Stripe server, localstripe, gateways on each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from app.billing.gateway.stripe import StripeGateway
from app.db import Database
from app.main import create_app
from tests.billing.fake_stripe import FakeStripe
from tests.billing.servers import localstripe, served
from tests.conftest import make_settings
from tests.helpers import GraphQL

API_KEY = "sk_test_admiral"


@pytest.fixture
async def fake_stripe() -> AsyncIterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()
    async with served(fake.app()) as url:
        yield fake, url


@pytest.fixture
def fake(fake_stripe: tuple[FakeStripe, str]) -> FakeStripe:
    return fake_stripe[0]


@pytest.fixture
def gateway(fake_stripe: tuple[FakeStripe, str]) -> StripeGateway:
    """The real SDK against the fake server; no retries, so every request is one call."""
    return StripeGateway(API_KEY, api_base=fake_stripe[1], max_network_retries=0)


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    with localstripe() as url:
        yield url


@pytest.fixture
def local_gateway(localstripe_url: str) -> StripeGateway:
    return StripeGateway(API_KEY, api_base=localstripe_url, max_network_retries=0)


WEBHOOK_SECRET = "whsec_admiral_mirror"


@dataclass
class Mirrored:
    """The app configured with Stripe (the fake server) and a client of it."""

    fake: FakeStripe
    app: Starlette
    http: httpx.AsyncClient
    gql: GraphQL


@pytest.fixture(scope="module")
async def mirrored_app(
    migrated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[FakeStripe, Starlette]]:
    fake = FakeStripe()
    async with served(fake.app()) as url:
        settings = make_settings(
            migrated_url,
            tmp_path_factory.mktemp("mirror") / "secret",
            stripe_api_key=API_KEY,
            stripe_api_base=url,
            stripe_webhook_secret=WEBHOOK_SECRET,
        )
        application = create_app(settings)
        yield fake, application
        await application.state.db.dispose()


@pytest.fixture
async def mirrored(
    mirrored_app: tuple[FakeStripe, Starlette], db: Database
) -> AsyncIterator[Mirrored]:
    """Stripe-configured app over HTTP; the fake starts each test with no requests or refusals
    (its objects stay: ids never repeat)."""
    fake, application = mirrored_app
    fake.requests.clear()
    fake.refusing.clear()
    fake.declining_customers.clear()
    transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Mirrored(fake, application, http, GraphQL(http))
