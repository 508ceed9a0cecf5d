"""Fixtures of the differential suite: one app, both read paths, every kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from app.graphql.compiled.path import ReadPath, read_path_counts
from app.kit import clock
from app.models import MemberRole, NoteCategory, UserStatus
from tests.helpers import Factory, World


@dataclass
class Answer:
    status: int
    body: Any  # the JSON with every object as a list of (key, value) pairs: order counts
    path: str


def _ordered(raw: bytes) -> Any:
    def pairs(value: Any) -> Any:
        if isinstance(value, dict):
            return [(key, pairs(item)) for key, item in value.items()]
        if isinstance(value, list):
            return [pairs(item) for item in value]
        return value

    return pairs(orjson.loads(raw))


def _without_request_ids(body: Any) -> Any:
    if isinstance(body, list):
        return [
            item
            for item in (_without_request_ids(element) for element in body)
            if not (isinstance(item, tuple) and item[0] == "requestId")
        ]
    if isinstance(body, tuple):
        return (body[0], _without_request_ids(body[1]))
    return body


def _errors_sorted(body: Any) -> Any:
    """Errors in the order of their paths: ordinary execution records them as its concurrent
    resolvers finish, which is not always the same order (GraphQL gives it no meaning)."""
    if not isinstance(body, list):
        return body
    return [
        (key, sorted(value, key=repr))
        if key == "errors" and isinstance(value, list)
        else (key, value)
        for key, value in body
    ]


class Both:
    """Sends one document down each path and returns both answers."""

    def __init__(self, client: httpx.AsyncClient, read_path: ReadPath) -> None:
        self.client = client
        self.read_path = read_path

    async def one(
        self, path: str, query: str, variables: dict[str, Any] | None, token: str
    ) -> Answer:
        self.read_path.enabled = path == "compiled"
        before = read_path_counts()
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        response = await self.client.post(
            "/graphql", json=payload, headers={"Authorization": f"Bearer {token}"}
        )
        after = read_path_counts()
        taken = next(name for name in after if after[name] != before.get(name, 0))
        return Answer(
            response.status_code,
            _errors_sorted(_without_request_ids(_ordered(response.content))),
            taken,
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str
    ) -> tuple[Answer, Answer]:
        # Authentication records a credential's use now and then (`lastSeenAt`, which users
        # can be ordered by): a request first, so the pair below reads the same rows.
        await self.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        try:
            ordinary = await self.one("ordinary", query, variables, token)
            compiled = await self.one("compiled", query, variables, token)
        finally:
            self.read_path.enabled = True
        return ordinary, compiled


@pytest.fixture
def both(client: httpx.AsyncClient, app: Starlette) -> Both:
    return Both(client, app.state.read_path)


@dataclass
class Callers:
    world: World
    tokens: dict[str, str]


@pytest.fixture
async def callers(world: World, factory: Factory) -> Callers:
    """The world's callers plus rows worth reading: notes, a suspension, a customer without a
    plan, a user in two customers, names needing JSON escapes."""
    await factory.note(world.owner, "first")
    await factory.note(world.owner, "second", NoteCategory.SUPPORT)
    await factory.note(world.member, "x")
    bare = await factory.customer("bare-co", name='Bare "quoted" \\ co')
    await factory.member(bare, world.member, MemberRole.ADMIN)
    await factory.member(world.other, world.admin, MemberRole.MEMBER)
    await factory.user(
        "suspended@own.test",
        name="Zoë \u2028 tab\there",
        status=UserStatus.SUSPENDED,
        suspended_until=clock.now() - timedelta(hours=1),
    )
    blocked = await factory.user("blocked@own.test", status=UserStatus.BLOCKED, name="Blocked")
    await factory.member(world.own, blocked, MemberRole.MEMBER)
    return Callers(
        world,
        {
            "master": world.master,
            "staff": world.staff_token,
            "owner": world.owner_token,
            "admin": world.admin_token,
            "member": world.member_token,
            "read_only": world.read_only_token,
        },
    )


@pytest.fixture
def principal_cache(app: Starlette) -> Iterator[None]:
    """Authenticated principals cached for five seconds, as by default outside the tests."""
    cache = app.state.principals
    cache.enabled, cache.ttl = True, timedelta(seconds=5)
    try:
        yield
    finally:
        cache.enabled = False
