"""Bodies and query strings that cannot be read: a 400 JSON error saying why, never a 500.

Bytes that are not UTF-8, JSON nested deeper than `ADMIRAL_MAX_JSON_DEPTH` (64), on POST
bodies, GET parameters and the REST endpoints alike.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from app.kit.jsonutil import JSONInputError, loads_from_client, nesting_exceeds
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.helpers import World
from tests.support import counts

ME = "{ me { scope } }"


def assert_bad_request(response: httpx.Response, words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"] == {
        "code": "BAD_REQUEST",
        "requestId": response.headers["x-request-id"],
    }
    assert words in error["message"]


def nested(depth: int) -> Any:
    """A JSON value whose lists nest `depth` levels (built without recursion)."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def json_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# ---------------------------------------------------------------- not UTF-8


async def test_a_post_body_that_is_not_utf8_gets_400(
    client: httpx.AsyncClient, world: World
) -> None:
    body = b'{"query": "{ me { scope } }", "variables": {"x": "\xff\xfe"}}'

    response = await client.post("/graphql", content=body, headers=bearer(world.master))

    assert_bad_request(response, "UTF-8")


async def test_a_latin1_query_gets_400(client: httpx.AsyncClient, world: World) -> None:
    body = '{"query": "{ me { scope } } # café"}'.encode("latin-1")

    response = await client.post("/graphql", content=body, headers=bearer(world.master))

    assert_bad_request(response, "UTF-8")


@pytest.mark.parametrize(
    "query_string",
    [
        "query=%7B%20me%20%7B%20scope%20%7D%20%7D%FF",
        "query=%7B%20me%20%7B%20scope%20%7D%20%7D&variables=%7B%22x%22%3A%22%C3%28%22%7D",
        "query=%7B%20me%20%7B%20scope%20%7D%20%7D&%FF=1",
    ],
    ids=["in-the-query", "in-variables", "in-a-name"],
)
async def test_a_get_with_bad_percent_encoded_bytes_gets_400(
    client: httpx.AsyncClient, world: World, query_string: str
) -> None:
    response = await client.get(
        f"/graphql?{query_string}", headers={"Authorization": f"Bearer {world.master}"}
    )

    assert_bad_request(response, "UTF-8")


async def test_a_get_with_percent_encoded_utf8_still_works(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query($x: String) { me { scope } customer(slug: $x) { id } } # café",
            "variables": '{"x": "é"}',
        },
        headers={"Authorization": f"Bearer {world.master}"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"me": {"scope": "MASTER"}, "customer": None}}


async def test_a_rest_body_that_is_not_utf8_gets_400_and_writes_nothing(
    client: httpx.AsyncClient, world: World, db: Any
) -> None:
    before = await counts(db)

    response = await client.post(
        "/v1/password-reset",
        content=b'{"token": "\xff", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )

    assert_bad_request(response, "UTF-8")
    assert await counts(db) == before


# ---------------------------------------------------------------- too deep


async def test_variables_nested_5000_levels_get_400(
    client: httpx.AsyncClient, world: World
) -> None:
    body = f'{{"query": "{ME}", "variables": {{"x": {json_text(5000)}}}}}'

    response = await client.post("/graphql", content=body, headers=bearer(world.master))

    assert_bad_request(response, "deeper than 64 levels")


async def test_get_variables_nested_5000_levels_get_400(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        "/graphql",
        params={"query": ME, "variables": f'{{"x": {json_text(5000)}}}'},
        headers={"Authorization": f"Bearer {world.master}"},
    )

    assert_bad_request(response, "deeper than 64 levels")


async def test_a_body_at_the_depth_limit_passes_one_deeper_gets_400(
    client: httpx.AsyncClient, world: World
) -> None:
    # The body object is level 1, `variables` level 2: 62 more levels make 64.
    at_limit = {"query": ME, "variables": {"x": nested(62)}}
    past_limit = {"query": ME, "variables": {"x": nested(63)}}

    fine = await client.post(
        "/graphql", content=orjson.dumps(at_limit), headers=bearer(world.master)
    )
    refused = await client.post(
        "/graphql", content=orjson.dumps(past_limit), headers=bearer(world.master)
    )

    assert fine.status_code == 200, fine.text
    assert fine.json() == {"data": {"me": {"scope": "MASTER"}}}
    assert_bad_request(refused, "deeper than 64 levels")


async def test_a_rest_body_nested_5000_levels_gets_400(client: httpx.AsyncClient) -> None:
    body = f'{{"token": "x", "password": {json_text(5000)}}}'

    response = await client.post(
        "/v1/password-reset", content=body, headers={"Content-Type": "application/json"}
    )

    assert_bad_request(response, "deeper than 64 levels")


async def test_a_rest_body_past_the_depth_limit_gets_400(client: httpx.AsyncClient) -> None:
    body = orjson.dumps({"token": "x", "password": "x", "extra": nested(64)})

    response = await client.post(
        "/v1/password-reset", content=body, headers={"Content-Type": "application/json"}
    )

    assert_bad_request(response, "deeper than 64 levels")


@pytest.fixture
async def shallow_client(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(
        make_settings(settings.database_url, tmp_path / "secret", max_json_depth=4)
    )
    transport = httpx.ASGITransport(app=application)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
    finally:
        await application.state.db.dispose()


async def test_the_depth_limit_is_a_setting(
    shallow_client: httpx.AsyncClient, world: World
) -> None:
    fine = {"query": ME, "variables": {"x": nested(2)}}
    deep = {"query": ME, "variables": {"x": nested(3)}}

    ok = await shallow_client.post(
        "/graphql", content=orjson.dumps(fine), headers=bearer(world.master)
    )
    refused = await shallow_client.post(
        "/graphql", content=orjson.dumps(deep), headers=bearer(world.master)
    )

    assert ok.status_code == 200, ok.text
    assert_bad_request(refused, "deeper than 4 levels")


# ---------------------------------------------------------------- the decoder itself


def test_nesting_is_measured_without_recursion() -> None:
    deep = nested(200_000)  # far past Python's recursion limit

    assert nesting_exceeds(deep, 64)
    assert not nesting_exceeds(nested(64), 64)
    assert nesting_exceeds({"a": [1, {"b": nested(62)}]}, 64)
    assert not nesting_exceeds({"a": [1, {"b": nested(61)}]}, 64)
    assert not nesting_exceeds("text", 0)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"a": "\xc3\x28"}', "UTF-8"),
        (b'{"a": ', "malformed"),
        (b'{"a": "\\ud800"}', "malformed"),
        (json_text(2000).encode(), "deeper than 64"),
        (json_text(65).encode(), "deeper than 64"),
        (b'{"k\\u0000": 1}', "NUL"),
        (b'["a", [{"b": "\\u0000"}]]', "NUL"),
    ],
    ids=[
        "not-utf8",
        "truncated",
        "lone-surrogate",
        "past-the-parser-limit",
        "past-the-setting",
        "nul-in-a-key",
        "nul-in-a-nested-string",
    ],
)
def test_client_json_is_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(JSONInputError, match=words):
        loads_from_client(data, 64)


# ---------------------------------------------------------------- NUL characters


async def test_a_nul_character_in_variables_gets_400_and_writes_nothing(
    client: httpx.AsyncClient, world: World, db: Any
) -> None:
    before = await counts(db)
    body = {
        "query": "mutation($n: String!) { masterKeyCreate(input: {name: $n}) { key } }",
        "variables": {"n": "ops\u0000key"},
    }

    response = await client.post(
        "/graphql", content=orjson.dumps(body), headers=bearer(world.master)
    )

    assert_bad_request(response, "NUL")
    assert await counts(db) == before


async def test_a_nul_character_in_a_string_literal_is_a_validation_error(
    client: httpx.AsyncClient, world: World, db: Any
) -> None:
    before = await counts(db)
    # The JSON carries the GraphQL escape `\u0000` (backslash and all), not the character.
    body = (
        b'{"query": "mutation { masterKeyCreate(input: {name: \\"ops\\\\u0000key\\"}) { key } }"}'
    )

    response = await client.post("/graphql", content=body, headers=bearer(world.master))

    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "NUL" in error["message"]
    assert await counts(db) == before


async def test_a_nul_character_in_a_filter_is_refused_on_every_engine(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query($s: String) { users(filter: {search: $s}) { totalCount } }",
            "variables": '{"s": "a\\u0000"}',
        },
        headers={"Authorization": f"Bearer {world.master}"},
    )

    assert_bad_request(response, "NUL")


async def test_a_nul_character_in_a_rest_body_gets_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/password-reset",
        content=b'{"token": "a\\u0000", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )

    assert_bad_request(response, "NUL")


def test_the_view_decoder_keeps_strawberrys_contract(app: Starlette) -> None:
    # Strawberry's transports (WebSocket messages too) catch JSONDecodeError, nothing else.
    view = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
    for data in (b"\xff", json_text(100).encode(), b'{"a": "\\u0000"}'):
        with pytest.raises(json.JSONDecodeError):
            view.decode_json(data)
    assert view.decode_json(b'{"a": [1]}') == {"a": [1]}
