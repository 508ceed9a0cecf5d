"""The checks of graphql-cop (the GraphQL security auditor), each sent as graphql-cop sends it,
over a real server socket, judged by graphql-cop's own criterion for "vulnerable", and then by
Admiral's stricter policy (docs/architecture.md: protection).

Where the policy allows what graphql-cop reports (GET queries, the GraphiQL page), the test
asserts the policy and the safeguard that makes it harmless. The limits are sent as a master
caller: an anonymous caller is refused before any of them matters, which would prove nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from app.kit.scope import RowScope
from app.settings import Settings
from app.users import repository as users_repository
from tests.helpers import StatementCounter
from tests.security.conftest import Served

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TWENTY_MB = 20 * 1024 * 1024


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(
    http: httpx.AsyncClient, query: str, token: str | None = None, **extra: Any
) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query, **extra}, headers=bearer(token) if token else {}
    )


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(item.get("extensions") or {}).get("code") for item in body.get("errors") or []]


# ---------------------------------------------------------------- denial of service


async def test_alias_overloading_101_aliases_are_refused(
    http: httpx.AsyncClient, master_token: str
) -> None:
    query = "query cop { " + " ".join(f"alias{n}:__typename" for n in range(101)) + " }"
    response = await post(http, query, master_token)
    body = response.json()
    assert "alias100" not in (body.get("data") or {})  # graphql-cop's criterion
    assert response.status_code == 200
    assert codes(body) == [TOO_COMPLEX]
    assert "data" not in body  # refused before execution


async def test_array_batching_is_refused_as_a_whole(
    http: httpx.AsyncClient, master_token: str
) -> None:
    """Policy: no batching. A list of operations is one 400, never ten answers."""
    batch = [{"query": "query cop { __typename }"} for _ in range(10)]
    response = await http.post("/graphql", json=batch, headers=bearer(master_token))
    body = response.json()
    assert not isinstance(body, list)  # graphql-cop: vulnerable when ten answers come back
    assert response.status_code == 400
    assert codes(body) == ["BAD_REQUEST"]
    assert "data" not in body


async def test_directive_overloading_is_refused_with_one_error(
    http: httpx.AsyncClient, master_token: str
) -> None:
    query = "query cop { __typename " + "@aa" * 10 + " }"
    response = await post(http, query, master_token)
    body = response.json()
    assert len(body["errors"]) != 10  # graphql-cop: vulnerable when each one is processed
    assert codes(body) == [TOO_COMPLEX]
    assert "directives" in body["errors"][0]["message"]
    # Known directives repeated on one field are refused the same way, before validation.
    known = "query cop { __typename " + "@include(if: true)" * 10 + " }"
    assert codes((await post(http, known, master_token)).json()) == [TOO_COMPLEX]
    # What an ordinary document does: each executable directive once per field.
    fine = "query cop($s: Boolean!) { __typename @include(if: true) @skip(if: $s) }"
    ordinary = await post(http, fine, master_token, variables={"s": False})
    assert ordinary.json() == {"data": {"__typename": "Query"}}


async def test_field_duplication_stays_within_the_cost_and_token_limits(
    http: httpx.AsyncClient, master_token: str, settings: Settings
) -> None:
    """graphql-cop's 500 duplicated fields: answered, cheaply (each costs one); past the token
    limit the document is refused before it is parsed whole."""
    response = await post(http, "query cop { " + "__typename " * 500 + "}", master_token)
    assert response.json() == {"data": {"__typename": "Query"}}
    response = await post(http, "query cop { " + "__typename " * 3000 + "}", master_token)
    assert codes(response.json()) == [TOO_COMPLEX]
    assert settings.max_tokens < 3000


async def test_circular_introspection_is_depth_limited(
    http: httpx.AsyncClient, master_token: str
) -> None:
    """graphql-cop's circular query, as the master who may introspect: refused for depth."""
    query = (
        "query cop { __schema { types { fields { type { fields { type { fields { type "
        "{ fields { type { fields { type { name } } } } } } } } } } } } }"
    )
    response = await post(http, query, master_token)
    body = response.json()
    assert "data" not in body  # graphql-cop: vulnerable when it is answered
    assert codes(body) == [TOO_COMPLEX], body
    assert "depth" in body["errors"][0]["message"]
    # Ordinary introspection (what GraphiQL sends) stays within the limit.
    shallow = "{ __schema { types { name fields { name type { name ofType { name } } } } } }"
    assert "errors" not in (await post(http, shallow, master_token)).json()


async def test_query_cost_over_the_limit_is_refused_before_any_statement(
    http: httpx.AsyncClient, master_token: str, statements: StatementCounter, settings: Settings
) -> None:
    costly = (
        "{ customers(first: 200) { nodes { members(first: 200) { nodes { user "
        "{ id email memberships { role } } } } } } }"
    )
    await post(http, "{ __typename }", master_token)  # the key's last use is fresh now
    with statements.measure() as baseline:
        assert (await post(http, "{ __typename }", master_token)).status_code == 200
    with statements.measure() as counted:
        response = await post(http, costly, master_token)
    body = response.json()
    assert codes(body) == [TOO_COMPLEX]
    assert f"exceeds the limit of {settings.max_query_cost}" in body["errors"][0]["message"]
    assert "data" not in body
    # Authenticating the key is all that touched the database: no statement of the query ran.
    assert counted.count == baseline.count


# ---------------------------------------------------------------- information disclosure


async def test_field_suggestions_are_hidden_from_anonymous_callers(
    http: httpx.AsyncClient, master_token: str
) -> None:
    cop = await post(http, "query cop { __schema { directive } }")
    assert "Did you mean" not in cop.text  # graphql-cop's criterion
    assert cop.status_code == 401
    # The one document an anonymous caller may send gets its errors without hints.
    login = 'mutation { sessionCreate(input: {email: "a@b.test", password: "x"}) { tokn } }'
    answered = await post(http, login)
    assert codes(answered.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Did you mean" not in answered.text
    # A master gets them (policy: suggestions are hidden from unauthenticated callers only).
    assert "Did you mean" in (await post(http, login, master_token)).text


async def test_introspection_is_refused_to_anonymous_callers(
    http: httpx.AsyncClient, master_token: str
) -> None:
    query = "query cop { __schema { types { name fields { name } } } }"
    for via_get in (False, True):
        response = (
            await http.get("/graphql", params={"query": query})
            if via_get
            else await post(http, query)
        )
        assert response.status_code == 401
        body = response.json()
        assert codes(body) == ["UNAUTHENTICATED"]
        assert "data" not in body
        assert "__Schema" not in response.text
        assert "Customer" not in response.text
    allowed = (await post(http, query, master_token)).json()
    assert "Customer" in {item["name"] for item in allowed["data"]["__schema"]["types"]}


async def test_no_tracing_or_debug_extensions_are_answered(
    http: httpx.AsyncClient, master_token: str
) -> None:
    for params in ({}, {"debug": "1"}, {"tracing": "true"}):
        response = await http.post(
            "/graphql",
            params=params,
            json={"query": "query cop { __typename }", "extensions": {"tracing": True}},
            headers=bearer(master_token),
        )
        body = response.json()
        assert body == {"data": {"__typename": "Query"}}, body
        for header in response.headers:
            assert not re.search("trace|debug|server-timing|x-powered-by", header)


async def test_unhandled_parse_errors_carry_no_exception_details(
    http: httpx.AsyncClient, master_token: str
) -> None:
    """graphql-cop's `qwerty cop { abc }`: a coded parse error, no exception or stack."""
    for token in (None, master_token):
        response = await post(http, "qwerty cop { abc }", token)
        body = response.json()
        assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
        [error] = body["errors"]
        assert set(error["extensions"]) == {"code", "requestId"}
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert "exception" not in response.text.lower()
        assert "traceback" not in response.text.lower()


SECRET_INTERNALS = "internal detail Zq8-pool-exhausted at db.py:412"


def _broken_search(text: str, _: RowScope) -> sa.ColumnElement[bool]:
    raise RuntimeError(SECRET_INTERNALS)


async def test_unexpected_errors_are_masked_with_a_request_id(
    http: httpx.AsyncClient,
    master_token: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(users_repository.USER_MODEL.filters, "search", _broken_search)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = await post(
            http, 'query { users(filter: {search: "x"}) { totalCount } }', master_token
        )
    assert response.status_code == 200
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert body["errors"] == [
        {
            "message": "Internal server error",
            "path": ["users"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        }
    ]
    for leaked in (SECRET_INTERNALS, "RuntimeError", "Traceback", "_broken_search", ".py"):
        assert leaked not in response.text
    # The operator finds the stack by the request id the client was given.
    [record] = [item for item in caplog.records if item.name == "app.errors"]
    assert record.__dict__["request_id"] == request_id
    assert record.exc_info is not None
    assert SECRET_INTERNALS in str(record.exc_info[1])


async def test_the_ide_page_is_served_offline_and_grants_nothing(
    http: httpx.AsyncClient,
) -> None:
    """Policy: GraphiQL is served at GET /graphql to anyone (graphql-cop reports it); it is
    static, loads nothing from another origin, carries no credentials, and every operation
    it sends needs the token the operator pastes in."""
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()  # graphql-cop's criterion: it is there, by policy
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page.text)
    assert sources, "the page loads its vendored scripts"
    # Vendored files and inline data (the empty favicon), nothing from another origin.
    assert all(source.startswith(("/static/", "data:")) for source in sources), sources
    assert "//" not in "".join(re.findall(r"import\s*\(?\s*[\"']([^\"']+)", page.text))
    for credential in ("Bearer ", "admk_", "sess_"):
        assert credential not in page.text
    probe = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/html"}
    )
    assert probe.status_code == 401


# ---------------------------------------------------------------- request forgery


async def test_get_queries_are_allowed_but_get_mutations_refused(
    http: httpx.AsyncClient, master_token: str
) -> None:
    """Policy: GET serves queries (cacheable, nothing changes); a mutation needs POST JSON."""
    query = await http.get(
        "/graphql", params={"query": "query cop { __typename }"}, headers=bearer(master_token)
    )
    assert query.status_code == 200
    assert query.json() == {"data": {"__typename": "Query"}}
    mutation = await http.get(
        "/graphql",
        params={"query": 'mutation cop { masterKeyCreate(input: {name: "csrf"}) { key } }'},
        headers=bearer(master_token),
    )
    assert mutation.status_code == 405
    body = mutation.json()
    assert "data" not in body  # graphql-cop: vulnerable when `data` comes back
    assert codes(body) == ["METHOD_NOT_ALLOWED"]
    cop = await http.get("/graphql", params={"query": "mutation cop {__typename}"})
    assert "data" not in cop.json()
    keys = await post(http, "{ masterKeys { totalCount } }", master_token)
    assert keys.json()["data"]["masterKeys"]["totalCount"] == 1  # no key was created


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
)
async def test_form_posts_are_refused(
    http: httpx.AsyncClient, master_token: str, content_type: str
) -> None:
    """A browser form can post these cross-site without a preflight: refused, unread."""
    body = "query=" + 'mutation cop { masterKeyCreate(input: {name: "csrf"}) { key } }'
    response = await http.post(
        "/graphql",
        content=body.encode(),
        headers={"Content-Type": content_type, **bearer(master_token)},
    )
    assert response.status_code == 415
    assert codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]
    assert "data" not in response.json()
    keys = await post(http, "{ masterKeys { totalCount } }", master_token)
    assert keys.json()["data"]["masterKeys"]["totalCount"] == 1


# ---------------------------------------------------------------- body size


def _twenty_megabytes(chunks_sent: list[int]) -> Iterator[bytes]:
    yield b'{"query": "{ __typename }", "variables": {"pad": "'
    for _ in range(TWENTY_MB // 65536):
        chunks_sent[0] += 1
        yield b"x" * 65536
    yield b'"}}'


async def _send_until_answered(
    served: Served, head: bytes, body: Iterator[bytes], chunked: bool
) -> tuple[bytes, int]:
    """Writes `head`, then the body while the server has not answered; returns the answer's
    status line and headers, and how many body bytes were written before it came."""
    sock = socket.socket()
    # A small send buffer: what was written is close to what the server has taken.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (served.host, served.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    written = 0
    try:
        writer.write(head)
        answer = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
        for chunk in body:
            framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            writer.write(framed)
            drained = asyncio.create_task(writer.drain())
            done, _ = await asyncio.wait(
                {answer, drained}, timeout=30, return_when="FIRST_COMPLETED"
            )
            assert done, "neither answered nor read within 30 s"
            if answer in done:
                drained.cancel()
                break
            try:
                drained.result()
            except (ConnectionError, OSError):
                break
            written += len(chunk)
        return await asyncio.wait_for(answer, 30), written
    finally:
        writer.close()


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_a_twenty_megabyte_body_is_answered_413_without_being_read(
    served: Served, master_token: str, settings: Settings, chunked: bool
) -> None:
    sent = [0]
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % (TWENTY_MB + 51)
    head = (
        b"POST /graphql HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer %s\r\n%s\r\n\r\n"
        % (served.host.encode(), served.port, master_token.encode(), framing)
    )
    status, written = await _send_until_answered(served, head, _twenty_megabytes(sent), chunked)
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert b"application/json" in status
    # The server answered long before the body was through: past the limit it read no more,
    # and what was written beyond it sits in the sockets' buffers at most.
    assert written < 8 * 1024 * 1024, written
    print(f"413 after {written} body bytes written of {TWENTY_MB}")
    assert sent[0] < TWENTY_MB // 65536 // 2
    if not chunked:  # the declared length alone is refused, before any of the body
        assert written <= settings.max_body_bytes


async def test_a_body_just_under_the_limit_is_still_read(
    http: httpx.AsyncClient, master_token: str, settings: Settings
) -> None:
    pad = "x" * (settings.max_body_bytes - 200)
    body = orjson.dumps({"query": "{ __typename }", "variables": {"pad": pad}})
    response = await http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", **bearer(master_token)},
    )
    assert response.json() == {"data": {"__typename": "Query"}}
