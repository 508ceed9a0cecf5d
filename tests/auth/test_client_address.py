"""Which client address counts: for the login throttle, on sessions and in the audit trail.

Without `ADMIRAL_TRUST_PROXY_HEADERS` (the default) `X-Forwarded-For` is whatever the client
chose to write, so it must change nothing: a client cannot escape the per-address login
throttle, or put another address into the records, by sending one. Behind a proxy (the
setting on) the header's first entry is the client, and the proxy's own address is not.
Every test runs against both settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.db import Database
from app.main import create_app
from app.models.tables import LOGIN_FAILURES, LOGIN_SESSIONS
from app.settings import Settings
from tests.conftest import make_settings
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, World, gid
from tests.support import audit_events, rows, session_row
from tests.users.support import NEW_PASSWORD, USER_PASSWORD_RESET, reset_token_of

PEER = "203.0.113.7"  # the address the connection comes from (a proxy, when there is one)
OTHER_PEER = "203.0.113.99"
CLIENT = "198.51.100.50"  # what X-Forwarded-For names
OTHER_CLIENT = "198.51.100.51"

LOGIN = Mutation("sessionCreate", "token session { clientAddr }", user_errors="code")


@dataclass
class Site:
    """The app as a client reaches it, trusting proxy headers or not."""

    app: Starlette
    trusts_proxy: bool

    def client(self, peer: str = PEER) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(peer, 50002))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def recorded(self, forwarded: str, peer: str = PEER) -> str:
        """The address the app must record for a request from `peer` forwarding `forwarded`."""
        return forwarded if self.trusts_proxy else peer


@pytest.fixture(params=[False, True], ids=["proxy-headers-ignored", "proxy-headers-trusted"])
async def site(
    request: pytest.FixtureRequest, app: Starlette, settings: Settings, db: Database, tmp_path: Path
) -> AsyncIterator[Site]:
    if not request.param:
        assert settings.trust_proxy_headers is False  # the default
        yield Site(app, trusts_proxy=False)
        return
    trusting = create_app(
        make_settings(settings.database_url, tmp_path / "secret", trust_proxy_headers=True)
    )
    try:
        yield Site(trusting, trusts_proxy=True)
    finally:
        await trusting.state.db.dispose()


def forwarding(address: str) -> dict[str, str]:
    # A proxy appends the address it saw: the client's own comes first.
    return {"X-Forwarded-For": f"{address}, 10.0.0.9"}


async def login(
    http: httpx.AsyncClient, email: str, password: str, forwarded: str
) -> dict[str, Any]:
    response = await LOGIN.send(
        GraphQL(http), {"email": email, "password": password}, headers=forwarding(forwarded)
    )
    assert response.status == 200, response.body
    payload: dict[str, Any] = response.data["sessionCreate"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def test_the_login_throttle_counts_the_address_the_setting_names(
    site: Site, factory: Factory, db: Database
) -> None:
    await factory.user("ada@example.com")
    async with site.client() as http:
        for n in range(5):
            failed = await login(http, f"nobody{n}@example.com", "wrong password", CLIENT)
            assert codes(failed) == ["INVALID_CREDENTIALS"]
        failures = await rows(db, sa.select(LOGIN_FAILURES.c.client_addr))
        assert [row.client_addr for row in failures] == [site.recorded(CLIENT)] * 5

        # The same connection naming another client: a new address only behind a proxy;
        # otherwise the same client merely claiming to be someone else.
        claimed = await login(http, "ada@example.com", DEFAULT_PASSWORD, OTHER_CLIENT)
        assert codes(claimed) == ([] if site.trusts_proxy else ["TOO_MANY_ATTEMPTS"])
        assert (claimed["token"] is not None) is site.trusts_proxy

    # Another connection naming the throttled client: refused only behind a proxy.
    async with site.client(OTHER_PEER) as elsewhere:
        again = await login(elsewhere, "ada@example.com", DEFAULT_PASSWORD, CLIENT)
        assert codes(again) == (["TOO_MANY_ATTEMPTS"] if site.trusts_proxy else [])


async def test_sessions_and_audit_events_carry_the_address_the_setting_names(
    site: Site, factory: Factory, db: Database
) -> None:
    await factory.user("ada@example.com")
    expected = site.recorded(CLIENT)
    async with site.client() as http:
        payload = await login(http, "ada@example.com", DEFAULT_PASSWORD, CLIENT)
    assert payload["userErrors"] == []
    assert payload["session"] == {"clientAddr": expected}
    stored = await session_row(db, payload["token"])
    assert stored.client_addr == expected
    [event] = await audit_events(db)
    assert (event.action, event.client_addr) == ("session.create", expected)


async def test_mutations_impersonation_and_rest_are_audited_with_that_address(
    site: Site, world: World, db: Database
) -> None:
    expected = site.recorded(CLIENT)
    async with site.client() as http:
        gql = GraphQL(http)
        issued = await USER_PASSWORD_RESET.send(
            gql, {"userId": gid("usr", world.member)}, token=world.master
        )
        issued = issued.data["userPasswordReset"]
        assert issued["userErrors"] == []
        # The reset link itself, with the header: the request above carried none.
        reset = await http.post(
            "/v1/password-reset",
            json={"token": reset_token_of(issued["resetUrl"]), "password": NEW_PASSWORD},
            headers=forwarding(CLIENT),
        )
        assert reset.json() == {"ok": True, "userId": gid("usr", world.member)}
        await Mutation("masterKeyCreate", "key").payload(
            gql, {"name": "via proxy"}, token=world.master, headers=forwarding(CLIENT)
        )
        await gql.ok("{ me { scope } }", token=world.read_only_token, headers=forwarding(CLIENT))
    recorded = {event.action: event.client_addr for event in await audit_events(db)}
    assert recorded["user.password_reset"] == PEER  # sent without the header
    assert recorded["user.password_reset_complete"] == expected
    assert recorded["master_key.create"] == expected
    assert recorded["impersonation.request"] == expected


async def test_without_the_header_the_connection_address_counts(
    site: Site, factory: Factory, db: Database
) -> None:
    await factory.user("ada@example.com")
    async with site.client() as http:
        payload = await LOGIN.payload(
            GraphQL(http), {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
        )
    assert payload["session"] == {"clientAddr": PEER}
    [stored] = await rows(db, sa.select(LOGIN_SESSIONS.c.client_addr))
    assert stored.client_addr == PEER
