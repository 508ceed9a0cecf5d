"""Login throttling under a burst: 50 wrong passwords for one account at once, on real
connections. At most `login_max_failures` are checked against the password hash; the others
are refused as TOO_MANY_ATTEMPTS, and so is the right password while the account is locked."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from app.db import Database
from app.models import LoginSession
from app.settings import Settings
from tests.helpers import DEFAULT_PASSWORD, Factory
from tests.security.conftest import Served

LOGIN = """mutation($email: String!, $password: String!) {
  sessionCreate(input: {email: $email, password: $password}) { token userErrors { code } }
}"""
EMAIL = "victim@burst.test"


async def _login(http: httpx.AsyncClient, password: str) -> str:
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"email": EMAIL, "password": password}}
    )
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["sessionCreate"]
    if payload["token"] is not None:
        return "LOGGED_IN"
    [error] = payload["userErrors"]
    code: str = error["code"]
    return code


async def test_fifty_concurrent_wrong_passwords_check_at_most_the_allowed_number(
    served: Served, factory: Factory, settings: Settings, db: Database
) -> None:
    await factory.user(EMAIL)
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=served.url, timeout=60, limits=limits) as http:
        outcomes = Counter(await asyncio.gather(*(_login(http, f"wrong-{n}") for n in range(50))))
        right = await _login(http, DEFAULT_PASSWORD)

    print(f"50 concurrent wrong passwords: {dict(outcomes)}")
    allowed = settings.login_max_failures
    assert set(outcomes) <= {"INVALID_CREDENTIALS", "TOO_MANY_ATTEMPTS"}
    assert 1 <= outcomes["INVALID_CREDENTIALS"] <= allowed, outcomes
    assert outcomes["TOO_MANY_ATTEMPTS"] == 50 - outcomes["INVALID_CREDENTIALS"]
    assert right == "TOO_MANY_ATTEMPTS"
    assert await factory.count(LoginSession) == 0
