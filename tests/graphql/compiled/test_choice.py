"""Which path answered: counted always, shown in `extensions` only with the debug setting."""

from __future__ import annotations

from app.graphql.compiled.path import read_path_counts
from tests.graphql.compiled.conftest import Both, Callers
from tests.graphql.compiled.test_differential import W1
from tests.helpers import GraphQL


async def test_the_path_taken_is_counted_and_shown_only_when_debugging(
    gql: GraphQL, both: Both, callers: Callers
) -> None:
    token = callers.tokens["master"]
    before = read_path_counts()
    plain = await gql(W1, token=token)
    assert "extensions" not in plain.body
    await gql("{ me { scope } }", token=token)  # not declared compilable
    after = read_path_counts()
    assert after["compiled"] == before["compiled"] + 1
    assert after["ordinary"] == before["ordinary"] + 1

    both.read_path.debug = True
    try:
        compiled = await gql(W1, token=token)
        ordinary = await gql("{ me { scope } }", token=token)
        mutation = await gql("mutation { sessionRevoke(input: {}) { userErrors { code } } }")
    finally:
        both.read_path.debug = False
    assert compiled.body["extensions"] == {"readPath": "compiled"}
    assert compiled.data == plain.data
    assert ordinary.body["extensions"] == {"readPath": "ordinary"}
    assert mutation.status == 401


async def test_the_ordinary_setting_turns_the_compiled_path_off(
    gql: GraphQL, both: Both, callers: Callers
) -> None:
    both.read_path.enabled = False
    try:
        before = read_path_counts()
        await gql(W1, token=callers.tokens["master"])
        assert read_path_counts()["compiled"] == before["compiled"]
    finally:
        both.read_path.enabled = True
