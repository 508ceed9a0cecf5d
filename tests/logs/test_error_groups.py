"""Unexpected exceptions, in resolvers and in REST endpoints, are stored with their stack and
grouped by type and place (`errorGroups`), in SQL; structured lines carry the request."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.db import Database
from app.graphql.auth import queries as auth_queries
from app.kit import clock
from app.logging import JsonFormatter
from app.logs.fingerprint import error_key
from app.logs.pipeline import LogPipeline
from app.logs.repository import LOGS
from app.rest import users as rest_users
from app.users import repository as users_repository
from tests.helpers import GraphQL, StatementCounter, World
from tests.logs.support import add_entry, stored

GROUPS = """
query($first: Int, $after: String, $filter: ErrorGroupFilter) {
  errorGroups(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node {
      fingerprint title errorType place count firstSeen lastSeen sampleRequestId
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ME = "query Me { me { scope user { id } } }"
USERS = '{ users(filter: {search: "x"}) { totalCount } }'


async def aboom(*_: Any, **__: Any) -> Any:
    raise RuntimeError("the read failed")


def boom(*_: Any, **__: Any) -> Any:
    raise KeyError("missing")


async def _fail(
    gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch, reads: int, lists: int
) -> list[str]:
    monkeypatch.setattr(auth_queries, "read_unscoped", aboom)
    monkeypatch.setitem(users_repository.USER_MODEL.filters, "search", boom)
    request_ids = []
    for _ in range(reads):
        response = await gql(ME, token=world.owner_token)
        assert response.codes == ["INTERNAL_SERVER_ERROR"]
        request_ids.append(response.headers["x-request-id"])
    for _ in range(lists):
        response = await gql(USERS, token=world.master)
        assert response.codes == ["INTERNAL_SERVER_ERROR"]
        request_ids.append(response.headers["x-request-id"])
    return request_ids


async def test_errors_are_grouped_by_type_and_place(
    gql: GraphQL,
    world: World,
    db: Database,
    pipeline: LogPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_ids = await _fail(gql, world, monkeypatch, reads=3, lists=1)
    await pipeline.flush()
    groups = (await gql.ok(GROUPS, token=world.master))["errorGroups"]
    assert groups["totalCount"] == 2
    [newest, oldest] = [edge["node"] for edge in groups["edges"]]
    assert newest["errorType"] == "KeyError"
    assert newest["count"] == 1
    assert newest["sampleRequestId"] == request_ids[3]
    assert newest["title"] == "KeyError: unexpected error in GraphQL execution"
    # The innermost frame of Admiral's code: where the (patched) filter was called.
    assert newest["place"].startswith("app.kit.readmodel:conditions:")
    assert oldest["errorType"] == "RuntimeError"
    assert oldest["count"] == 3
    assert oldest["place"].startswith("app.graphql.auth.queries:")
    assert oldest["sampleRequestId"] == request_ids[2]
    assert oldest["firstSeen"] <= oldest["lastSeen"] <= newest["lastSeen"]
    # A group's entries, by its fingerprint: with the stack and the request.
    entries = await stored(db, LOGS.c.fingerprint == oldest["fingerprint"])
    assert [entry.request_id for entry in entries] == request_ids[:3]
    assert all("RuntimeError: the read failed" in entry.stack for entry in entries)
    assert {entry.principal_kind for entry in entries} == {"USER"}
    assert {entry.operation_name for entry in entries} == {"Me"}


async def test_pages_filters_and_statements(
    gql: GraphQL,
    world: World,
    db: Database,
    statements: StatementCounter,
) -> None:
    now = clock.now()
    for index in range(4):
        try:
            raise ValueError(f"number {index}")
        except ValueError as error:
            key = error_key(error)
        for age in range(index + 1):
            await add_entry(
                db,
                now - timedelta(hours=index * 10 + age),
                "ERROR",
                message=f"group {index}",
                fingerprint=f"{index:032x}",
                error_type="ValueError",
                error_place=f"{key.place}-{index}",
            )
    await gql.ok("{ me { scope } }", token=world.master)
    seen: list[tuple[str, int]] = []
    after = None
    counts = []
    while True:
        with statements.measure():
            page = (await gql.ok(GROUPS, {"first": 3, "after": after}, token=world.master))[
                "errorGroups"
            ]
        counts.append(statements.count)
        seen += [(edge["node"]["title"], edge["node"]["count"]) for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [
        ("ValueError: group 0", 1),
        ("ValueError: group 1", 2),
        ("ValueError: group 2", 3),
        ("ValueError: group 3", 4),
    ]
    assert len(set(counts)) == 1  # one page is one statement (plus the count), whatever its size
    # Only the entries inside [from, to) count.
    window = {
        "from": (now - timedelta(hours=31)).isoformat(),
        "to": (now - timedelta(hours=10)).isoformat(),
    }
    page = (await gql.ok(GROUPS, {"filter": window}, token=world.master))["errorGroups"]
    assert [(edge["node"]["title"], edge["node"]["count"]) for edge in page["edges"]] == [
        ("ValueError: group 1", 1),  # 11 h old; `to` (10 h ago) is exclusive
        ("ValueError: group 2", 3),
        ("ValueError: group 3", 2),  # 30 and 31 h old; `from` is inclusive
    ]
    assert page["totalCount"] == 3
    # A cursor of another list is refused.
    logs_cursor = await gql(GROUPS, {"after": "WyJMb2dFbnRyeSIsMSwiMDAiXQ"}, token=world.master)
    assert logs_cursor.codes == ["INVALID_CURSOR"]


async def test_error_groups_are_for_masters(gql: GraphQL, world: World) -> None:
    refused = await gql(GROUPS, token=world.owner_token)
    assert refused.codes == ["FORBIDDEN"]
    assert refused.data == {"errorGroups": None}


async def test_an_unhandled_rest_error_is_masked_stored_and_grouped(
    client: httpx.AsyncClient,
    gql: GraphQL,
    world: World,
    db: Database,
    pipeline: LogPipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rest_users, "in_unit_of_work", aboom)
    response = await client.post(
        "/v1/feedback",
        json={"kind": "IDEA", "message": "Dark mode", "rating": 5},
        headers={"Authorization": f"Bearer {world.owner_token}"},
    )
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    await pipeline.flush()
    [error] = await stored(db, LOGS.c.fingerprint.is_not(None))
    assert error.request_id == request_id
    assert error.logger == "app.errors"
    assert error.error_type == "RuntimeError"
    assert error.error_place.startswith("app.rest.users:")
    assert error.principal_kind == "USER"
    [access] = await stored(db, LOGS.c.logger == "app.access")
    assert access.data["status"] == 500
    assert access.data["outcome"] == "error"
    groups = (await gql.ok(GROUPS, token=world.master))["errorGroups"]
    assert [edge["node"]["sampleRequestId"] for edge in groups["edges"]] == [request_id]


async def test_lines_logged_inside_a_request_carry_its_context(
    gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            [request_id] = await _fail(gql, world, monkeypatch, reads=1, lists=0)
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    [error] = [line for line in lines if line["logger"] == "app.errors"]
    [access] = [line for line in lines if line["logger"] == "app.access"]
    for line in (error, access):
        assert line["request_id"] == request_id
        assert line["operation"] == "Me"
        assert line["principal_kind"] == "USER"
        assert line["principal_id"].startswith("usr_")
        assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert "RuntimeError: the read failed" in error["stack"]
    assert access["duration_ms"] > 0
    assert access["outcome"] == "error"
    assert access["operation_type"] == "query"
    assert world.owner_token not in written.getvalue()


async def test_a_warning_with_its_exception_is_stored_but_not_grouped(
    gql: GraphQL, world: World, db: Database, pipeline: LogPipeline
) -> None:
    try:
        raise ValueError("recovered")
    except ValueError:
        logging.getLogger("app.graphql.compiled.path").warning("fell back", exc_info=True)
    await pipeline.flush()
    [entry] = [row for row in await stored(db) if row.message == "fell back"]
    assert entry.error_type == "ValueError"
    assert entry.stack is not None
    assert entry.fingerprint is None
    groups = (await gql.ok(GROUPS, token=world.master))["errorGroups"]
    assert groups["totalCount"] == 0
