"""Fixtures of the Stripe tests: the fake Stripe server, localstripe, gateways on each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from app.billing.gateway.stripe import StripeGateway
from tests.billing.fake_stripe import FakeStripe
from tests.billing.servers import localstripe, served

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
