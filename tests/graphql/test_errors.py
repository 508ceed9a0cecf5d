"""Unexpected exceptions are masked for clients and logged with their stack (docs/architecture.md: conventions)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.auth import service as auth_service
from app.graphql.auth import queries as auth_queries
from app.users import repository as users_repository
from tests.helpers import GraphQL, Mutation, World
from tests.support import counts

SECRET_DETAIL = "connection string postgres://admin:hunter2@db"


def boom(*_: Any, **__: Any) -> Any:
    raise RuntimeError(SECRET_DETAIL)


async def aboom(*_: Any, **__: Any) -> Any:
    raise RuntimeError(SECRET_DETAIL)


def assert_masked(response: Any, path: list[str], caplog: pytest.LogCaptureFixture) -> None:
    assert response.status == 200
    assert SECRET_DETAIL not in str(response.body)
    assert "RuntimeError" not in str(response.body)
    [error] = response.errors
    assert error["message"] == "Internal server error"
    assert error["path"] == path
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }
    logged = [record for record in caplog.records if record.name == "app.errors"]
    assert len(logged) == 1
    record = logged[0]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert getattr(record, "request_id", None) == response.headers["x-request-id"]


async def test_failing_read_is_masked_and_logged(
    gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(auth_queries, "read_unscoped", aboom)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = await gql("{ me { scope user { id } } }", token=world.owner_token)
    # The rest of the answer survives; only the failing field is null.
    assert response.data == {"me": {"scope": "SESSION", "user": None}}
    assert_masked(response, ["me", "user"], caplog)


async def test_failing_list_is_masked_and_logged(
    gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(users_repository.USER_MODEL.filters, "search", boom)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = await gql(
            '{ users(filter: {search: "x"}) { totalCount } }',
            token=world.master,
            headers={"X-Request-Id": "trace-me-1"},
        )
    assert response.data is None
    assert response.headers["x-request-id"] == "trace-me-1"
    assert_masked(response, ["users"], caplog)


async def test_failing_mutation_is_masked_logged_and_writes_nothing(
    gql: GraphQL,
    world: World,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(auth_service, "create_master_key", aboom)
    before = await counts(db)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = await Mutation("masterKeyCreate", "key").send(
            gql, {"name": "x"}, token=world.master, key="k"
        )
    assert response.data == {"masterKeyCreate": None}
    assert_masked(response, ["masterKeyCreate"], caplog)
    assert await counts(db) == before


async def test_expected_errors_keep_their_message_and_are_not_logged(
    gql: GraphQL, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.errors"):
        response = await gql("{ users(first: 500) { totalCount } }", token=world.master)
        forbidden = await gql("{ auditChainVerify { ok } }", token=world.owner_token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert "200" in response.errors[0]["message"]
    assert forbidden.codes == ["FORBIDDEN"]
    assert forbidden.errors[0]["message"] == "Only a master admin may see or do this."
    assert [r for r in caplog.records if r.name == "app.errors"] == []


async def test_every_error_carries_the_request_id(gql: GraphQL, world: World) -> None:
    response = await gql(
        "{ users(first: 500) { totalCount } }", token=world.master, headers={"X-Request-Id": "abc"}
    )
    assert response.errors[0]["extensions"]["requestId"] == "abc"
