"""Request protection (docs/architecture.md: conventions): size, depth, aliases, tokens, cost, methods, batching."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from tests.helpers import GraphQL, World

TOO_COMPLEX = "QUERY_TOO_COMPLEX"


def assert_json_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]
    return body


def nested(depth: int) -> str:
    """A valid, cheap query `depth` levels deep: customer → members → nodes → user → …"""
    cycle = ["members(first: 1)", "nodes", "user", "memberships", "customer"]
    fields = ['customer(slug: "own-co")'] + [cycle[n % len(cycle)] for n in range(depth - 1)]
    inner = "id"
    for field in reversed(fields):
        inner = f"{field} {{ {inner} }}"
    return f"{{ {inner} }}"


async def test_depth_at_the_limit_passes(gql: GraphQL, master_token: str) -> None:
    data = await gql.ok(nested(10), token=master_token)
    assert data == {"customer": None}
    response = await gql(nested(11), token=master_token)
    assert response.codes == [TOO_COMPLEX]


async def test_query_depth_20_is_refused(gql: GraphQL, master_token: str) -> None:
    response = await gql(nested(20), token=master_token)
    assert response.status == 200
    assert response.data is None
    assert response.codes == [TOO_COMPLEX]
    assert "depth" in response.errors[0]["message"]


async def test_100_aliases_are_refused(gql: GraphQL, master_token: str) -> None:
    many = " ".join(f"a{n}: __typename" for n in range(100))
    response = await gql(f"{{ {many} }}", token=master_token)
    assert response.data is None
    assert response.codes == [TOO_COMPLEX]
    assert "aliases" in response.errors[0]["message"]
    few = " ".join(f"a{n}: __typename" for n in range(30))
    assert (await gql(f"{{ {few} }}", token=master_token)).errors == []


async def test_more_than_2000_tokens_are_refused(gql: GraphQL, master_token: str) -> None:
    response = await gql("{ " + "__typename " * 2100 + "}", token=master_token)
    assert response.data is None
    assert response.codes == [TOO_COMPLEX]
    assert "tokens" in response.errors[0]["message"]
    fine = await gql("{ " + "__typename " * 300 + "}", token=master_token)
    assert fine.errors == []


async def test_costly_nested_connections_are_refused(gql: GraphQL, master_token: str) -> None:
    query = """{
      customers(first: 200) { edges { node {
        members(first: 200) { edges { node { user { id email } } } }
      } } }
    }"""
    response = await gql(query, token=master_token)
    assert response.data is None
    assert response.codes == [TOO_COMPLEX]
    assert "cost" in response.errors[0]["message"].lower()


async def test_cost_counts_first_given_as_a_variable(gql: GraphQL, master_token: str) -> None:
    query = """query($n: Int) {
      customers(first: $n) { nodes { members(first: $n) { nodes { user { id email } } } } }
    }"""
    assert (await gql(query, {"n": 200}, token=master_token)).codes == [TOO_COMPLEX]
    assert (await gql(query, {"n": 10}, token=master_token)).errors == []


async def test_an_ordinary_page_with_nested_relations_is_within_cost(
    gql: GraphQL, master_token: str
) -> None:
    # The main workload: a page of 100 users with their memberships, customers and plans.
    query = """{ users(first: 100) { totalCount edges { cursor node {
      id email status createdAt notesCount
      memberships { role customer { slug plan { code } } }
    } } } }"""
    assert (await gql(query, token=master_token)).errors == []
    nested_default = "{ customers { nodes { slug members { nodes { role user { email } } } } } }"
    assert (await gql(nested_default, token=master_token)).errors == []


async def test_complexity_checks_do_not_need_the_database(
    gql: GraphQL, master_token: str, statements: Any
) -> None:
    await gql("{ __typename }", token=master_token)  # the key's last use is fresh now
    with statements.measure() as counted:
        response = await gql(nested(20), token=master_token)
    assert response.codes
    # Only authentication touched the database.
    with statements.measure() as baseline:
        await gql("{ __typename }", token=master_token)
    assert counted.count == baseline.count


# ---------------------------------------------------------------- HTTP level


async def test_two_megabyte_body_gets_413(client: httpx.AsyncClient, master_token: str) -> None:
    body = orjson.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 2_000_000}})
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {master_token}"},
    )
    assert_json_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_two_megabyte_chunked_body_gets_413(
    client: httpx.AsyncClient, master_token: str
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(32):
            sent += 1
            yield b"x" * 65536
        yield b'"}}'

    response = await client.post(
        "/graphql",
        content=chunks(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {master_token}"},
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_json_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_just_under_the_limit_is_accepted(
    client: httpx.AsyncClient, master_token: str
) -> None:
    body = orjson.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 1_000_000}})
    assert len(body) < 1_048_576
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {master_token}"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_wrong_content_type_gets_415(
    client: httpx.AsyncClient, master_token: str, content_type: str
) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": content_type, "Authorization": f"Bearer {master_token}"},
    )
    assert_json_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_json_with_a_charset_is_fine(
    client: httpx.AsyncClient, master_token: str, db: Any
) -> None:
    from tests.support import counts

    before = await counts(db)
    # Non-ASCII text in the body, decoded as the declared UTF-8 (a dry run echoes it back).
    document = (
        'mutation { masterKeyCreate(input: {name: "Zoë ✓"}, dryRun: true) { masterKey { name } } }'
    )
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": document}, ensure_ascii=False).encode("utf-8"),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {master_token}",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"masterKeyCreate": {"masterKey": {"name": "Zoë ✓"}}}}
    assert await counts(db) == before


async def test_mutation_by_get_gets_405(client: httpx.AsyncClient, world: World, db: Any) -> None:
    from tests.support import counts

    before = await counts(db)
    response = await client.get(
        "/graphql",
        params={"query": 'mutation { masterKeyCreate(input: {name: "csrf"}) { key } }'},
        headers={"Authorization": f"Bearer {world.master}", "Accept": "application/json"},
    )
    assert_json_error(response, 405, "METHOD_NOT_ALLOWED")
    assert await counts(db) == before


async def test_query_by_get_works(client: httpx.AsyncClient, master_token: str) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "{ me { scope } }"},
        headers={"Authorization": f"Bearer {master_token}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"scope": "MASTER"}}}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_get_405(
    client: httpx.AsyncClient, master_token: str, method: str
) -> None:
    response = await client.request(
        method,
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {master_token}"},
    )
    assert_json_error(response, 405, "METHOD_NOT_ALLOWED")


async def test_batched_request_is_refused(client: httpx.AsyncClient, master_token: str) -> None:
    response = await client.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": "{ me { scope } }"}],
        headers={"Authorization": f"Bearer {master_token}"},
    )
    assert 400 <= response.status_code < 500
    assert_json_error(response, response.status_code, "BAD_REQUEST")


@pytest.mark.parametrize(
    "body", [b'{"query": ', b"not json at all", b"", b'"just a string"', b"42"]
)
async def test_malformed_json_gets_400(
    client: httpx.AsyncClient, master_token: str, body: bytes
) -> None:
    response = await client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {master_token}"},
    )
    assert_json_error(response, 400, "BAD_REQUEST")


async def test_missing_query_is_400(client: httpx.AsyncClient, master_token: str) -> None:
    response = await client.post(
        "/graphql",
        json={"variables": {}},
        headers={"Authorization": f"Bearer {master_token}"},
    )
    assert_json_error(response, 400, "BAD_REQUEST")


async def test_syntax_error_keeps_its_message(gql: GraphQL, master_token: str) -> None:
    response = await gql("{ users { ", token=master_token)
    assert response.data is None
    assert response.codes == ["GRAPHQL_PARSE_FAILED"]
    assert "Syntax Error" in response.errors[0]["message"]


# ---------------------------------------------------------------- anonymous callers

INTROSPECTION = "{ __schema { queryType { name } types { name } } }"


async def test_anonymous_introspection_gets_401(gql: GraphQL) -> None:
    for query in (INTROSPECTION, '{ __type(name: "User") { name } }'):
        response = await gql(query)
        assert response.status == 401
        assert response.codes == ["UNAUTHENTICATED"]
        assert response.data is None
        assert "User" not in str(response.body)


async def test_every_401_has_the_same_body_shape(gql: GraphQL) -> None:
    anonymous = await gql("{ me { scope } }")
    unknown_token = await gql("{ me { scope } }", token="admk_not-a-real-key")
    bad_scheme = await gql("{ me { scope } }", headers={"Authorization": "Basic abc"})
    for response in (anonymous, unknown_token, bad_scheme):
        assert response.status == 401
        assert set(response.body) == {"errors"}, response.body
        assert response.codes == ["UNAUTHENTICATED"]
        assert set(response.errors[0]) == {"message", "extensions"}
        assert set(response.errors[0]["extensions"]) == {"code", "requestId"}
        assert response.headers["www-authenticate"] == 'Bearer realm="admiral"'


async def test_master_may_introspect(gql: GraphQL, master_token: str) -> None:
    data = await gql.ok(INTROSPECTION, token=master_token)
    assert data["__schema"]["queryType"] == {"name": "Query"}
    assert "User" in {item["name"] for item in data["__schema"]["types"]}


async def test_anonymous_gets_no_field_suggestions(gql: GraphQL) -> None:
    response = await gql(
        'mutation { sessionCreate(input: {email: "a@b.test", password: "x"}) { tokn } }'
    )
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]
    message = response.errors[0]["message"]
    assert "tokn" in message
    assert "Did you mean" not in message
    assert "token" not in message.replace("tokn", "")


async def test_anonymous_typo_outside_login_gets_401_not_a_hint(gql: GraphQL) -> None:
    response = await gql("{ usrs { totalCount } }")
    assert response.status == 401
    assert "Did you mean" not in str(response.body)


async def test_master_gets_field_suggestions(gql: GraphQL, master_token: str) -> None:
    response = await gql("{ usrs { totalCount } }", token=master_token)
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" in response.errors[0]["message"]
    assert "users" in response.errors[0]["message"]


async def test_anonymous_may_only_log_in(gql: GraphQL) -> None:
    # Smuggling a query field beside the login is refused as a whole.
    response = await gql(
        'mutation { sessionCreate(input: {email: "a@b.test", password: "x"}) { token } '
        'masterKeyCreate(input: {name: "x"}) { key } }'
    )
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]
    alone = await gql(
        'mutation { sessionCreate(input: {email: "a@b.test", password: "xxxxxxxxxxxx"}) '
        "{ userErrors { code } } }"
    )
    assert alone.status == 200
    assert alone.data == {"sessionCreate": {"userErrors": [{"code": "INVALID_CREDENTIALS"}]}}


def test_a_nested_connection_without_first_costs_its_own_default() -> None:
    from graphql import parse

    from app.graphql.extensions import query_cost
    from app.graphql.schema import build_schema

    schema = build_schema()._schema
    notes_default = query_cost(
        schema, parse("{ users(first: 1) { nodes { notes { nodes { body } } } } }"), None, {}
    )
    notes_explicit = query_cost(
        schema,
        parse("{ users(first: 1) { nodes { notes(first: 50) { nodes { body } } } } }"),
        None,
        {},
    )
    assert notes_default < notes_explicit
    assert notes_explicit - notes_default == 40 * 2  # 40 fewer notes, each `nodes` item + `body`
