"""`feedback(first, after, filter: {userId, kind, from, to})`: what users told us, newest first.

Sending feedback (`POST /v1/feedback`) is tested in tests/rest/test_users_rest.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.kit import clock
from app.models import FeedbackKind
from tests.helpers import Factory, GraphQL, World
from tests.users.support import add_feedback, uid

FEEDBACK = """
query($first: Int, $after: String, $filter: FeedbackFilter) {
  feedback(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { id kind message rating page createdAt user { email } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def _feedback(gql: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.ok(FEEDBACK, variables, token=token))["feedback"]
    return found


def _messages(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["message"] for edge in connection["edges"]]


async def _three_days(factory: Factory, world: World) -> None:
    await add_feedback(
        factory, world.member, FeedbackKind.BUG, "two days ago", age=timedelta(days=2)
    )
    await add_feedback(factory, world.admin, FeedbackKind.IDEA, "yesterday", age=timedelta(days=1))
    await add_feedback(factory, world.member, FeedbackKind.PRAISE, "today", rating=None)


async def test_lists_feedback_newest_first(gql: GraphQL, world: World, factory: Factory) -> None:
    await _three_days(factory, world)

    found = await _feedback(gql, world.master)

    assert found["totalCount"] == 3
    assert _messages(found) == ["today", "yesterday", "two days ago"]
    newest = found["edges"][0]["node"]
    assert newest["id"].startswith("fbk_")
    assert (newest["kind"], newest["rating"], newest["page"]) == ("PRAISE", None, None)
    assert newest["user"] == {"email": "member@own.test"}


async def test_filters_by_user(gql: GraphQL, world: World, factory: Factory) -> None:
    await _three_days(factory, world)

    found = await _feedback(gql, world.master, filter={"userId": uid(world.member)})

    assert _messages(found) == ["today", "two days ago"]
    assert found["totalCount"] == 2


async def test_filters_by_kind(gql: GraphQL, world: World, factory: Factory) -> None:
    await _three_days(factory, world)

    found = await _feedback(gql, world.master, filter={"kind": "IDEA"})

    assert _messages(found) == ["yesterday"]


async def test_filters_by_time_from_inclusive_to_exclusive(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await _three_days(factory, world)
    listed = await _feedback(gql, world.master)
    yesterday = listed["edges"][1]["node"]["createdAt"]
    today = listed["edges"][0]["node"]["createdAt"]

    found = await _feedback(gql, world.master, filter={"from": yesterday, "to": today})

    assert _messages(found) == ["yesterday"]


async def test_pages_with_after(gql: GraphQL, world: World, factory: Factory) -> None:
    await _three_days(factory, world)

    first = await _feedback(gql, world.master, first=2)
    rest = await _feedback(gql, world.master, first=2, after=first["pageInfo"]["endCursor"])

    assert _messages(first) == ["today", "yesterday"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert _messages(rest) == ["two days ago"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_malformed_user_id_is_a_request_error(gql: GraphQL, world: World) -> None:
    response = await gql(FEEDBACK, {"filter": {"userId": "cus_nope"}}, token=world.master)

    assert response.codes == ["BAD_USER_INPUT"]


async def test_a_session_admin_gets_null_and_forbidden(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await _three_days(factory, world)

    response = await gql(FEEDBACK, token=world.owner_token)

    assert response.data == {"feedback": None}
    assert response.codes == ["FORBIDDEN"]


async def test_a_staff_session_sees_it(gql: GraphQL, world: World, factory: Factory) -> None:
    await _three_days(factory, world)

    assert (await _feedback(gql, world.staff_token))["totalCount"] == 3


async def test_anonymous_callers_are_unauthenticated(gql: GraphQL) -> None:
    response = await gql(FEEDBACK)

    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]
    assert response.data is None


async def test_a_time_window_in_the_future_is_empty(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await _three_days(factory, world)
    tomorrow = (clock.now() + timedelta(days=1)).isoformat()

    found = await _feedback(gql, world.master, filter={"from": tomorrow})

    assert found["totalCount"] == 0
    assert found["edges"] == []
