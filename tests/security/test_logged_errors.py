"""An unexpected database error is logged with its stack, but never with the values bound to
the failing statement: those come from requests (a search text, an email, a token's hash)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from app.kit.scope import RowScope
from app.logging import JsonFormatter
from app.users import repository as users_repository
from tests.helpers import GraphQL, World

SEARCHED = "searched-secret-Yt6Wq"


def _failing_search(text: str, _: RowScope) -> sa.ColumnElement[bool]:
    # A function neither engine has: the statement fails in the database, with `text` bound.
    return sa.func.admiral_no_such_function(text) == sa.true()


async def test_a_failing_statement_is_logged_without_its_parameters(
    gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(users_repository.USER_MODEL.filters, "search", _failing_search)

    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = await gql(
            "query($s: String) { users(filter: {search: $s}) { totalCount } }",
            {"s": SEARCHED},
            token=world.master,
        )

    assert response.codes == ["INTERNAL_SERVER_ERROR"]
    [record] = [record for record in caplog.records if record.name == "app.errors"]
    logged = JsonFormatter().format(record)
    assert "admiral_no_such_function" in logged
    assert SEARCHED not in logged
