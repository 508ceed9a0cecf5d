"""Detail fields on `User`: sessions, activity, feedback, suspension, notes — master only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.kit import clock
from app.models import FeedbackKind, NoteCategory
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, World
from tests.support import record_event, session_id
from tests.users.support import (
    SESSION_CREATE,
    USER_SUSPEND,
    USER_UPDATE,
    add_feedback,
    login,
    send_feedback,
    uid,
)

SESSIONS = """
query($id: ID!) {
  user(id: $id) { sessions { id kind readOnly createdAt lastSeenAt expiresAt clientAddr userAgent } }
}"""
ACTIVITY = """
query($id: ID!, $first: Int, $after: String) {
  user(id: $id) {
    activity(first: $first, after: $after) {
      totalCount
      edges { cursor node { seq action actorId targetId } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
FEEDBACK = """
query($id: ID!) {
  user(id: $id) { feedback { totalCount edges { node { kind message rating user { id } } } } }
}"""
NOTES = """
query($id: ID!, $first: Int, $after: String) {
  user(id: $id) {
    notes(first: $first, after: $after) {
      totalCount edges { node { body } } pageInfo { hasNextPage endCursor }
    }
  }
}"""

MASTER_ONLY_FIELDS = {
    "sessions": "sessions { id }",
    "activity": "activity { totalCount }",
    "feedback": "feedback { totalCount }",
    "suspension": "suspension { reason }",
    "block": "block { reason }",
    "notes": "notes { totalCount }",
    "notesCount": "notesCount",
    "metadata": "metadata",
    "isStaff": "isStaff",
    "lastSeenAt": "lastSeenAt",
}


async def _user(gql: GraphQL, document: str, user_id: str, token: str, **variables: Any) -> Any:
    data = await gql.ok(document, {"id": user_id, **variables}, token=token)
    return data["user"]


# ---------------------------------------------------------------- who may see them


@pytest.mark.parametrize("field", list(MASTER_ONLY_FIELDS))
async def test_a_session_admin_gets_null_and_forbidden(
    gql: GraphQL, world: World, field: str
) -> None:
    document = f"query($id: ID!) {{ user(id: $id) {{ email {MASTER_ONLY_FIELDS[field]} }} }}"

    response = await gql(document, {"id": uid(world.member)}, token=world.owner_token)

    assert response.status == 200
    assert response.data == {"user": {"email": "member@own.test", field: None}}
    assert response.codes == ["FORBIDDEN"]
    assert response.errors[0]["path"] == ["user", field]


@pytest.mark.parametrize("field", list(MASTER_ONLY_FIELDS))
async def test_a_staff_session_sees_them(
    gql: GraphQL, world: World, factory: Factory, db: Any, field: str
) -> None:
    await factory.note(world.member, "Called about invoices")
    await add_feedback(factory, world.member)
    await record_event(db, "user.touch", target_id=uid(world.member))
    document = f"query($id: ID!) {{ user(id: $id) {{ {MASTER_ONLY_FIELDS[field]} }} }}"
    expected = {
        "sessions": [{"id": await session_id(db, world.member_token)}],
        "activity": {"totalCount": 1},
        "feedback": {"totalCount": 1},
        "suspension": None,  # neither suspended nor blocked: null without an error
        "block": None,
        "notes": {"totalCount": 1},
        "notesCount": 1,
        "metadata": {},
        "isStaff": False,
        "lastSeenAt": None,  # the member's session was never used
    }

    response = await gql(document, {"id": uid(world.member)}, token=world.staff_token)

    assert response.errors == []
    assert response.data == {"user": {field: expected[field]}}


async def test_a_session_admin_sees_nobody_outside_their_customers(
    gql: GraphQL, world: World
) -> None:
    found = await _user(
        gql, "query($id: ID!) { user(id: $id) { id } }", uid(world.outsider), world.owner_token
    )

    assert found is None


# ---------------------------------------------------------------- sessions


async def test_sessions_show_when_and_from_where(gql: GraphQL, world: World) -> None:
    await SESSION_CREATE.payload(
        gql,
        {"email": "member@own.test", "password": DEFAULT_PASSWORD},
        headers={"User-Agent": "Firefox/130.0"},
    )

    sessions = (await _user(gql, SESSIONS, uid(world.member), world.master))["sessions"]

    from_browser = [session for session in sessions if session["userAgent"] == "Firefox/130.0"]
    assert len(from_browser) == 1
    session = from_browser[0]
    assert session["kind"] == "LOGIN"
    assert session["clientAddr"] == "203.0.113.7"
    assert session["createdAt"] is not None
    assert session["lastSeenAt"] is not None
    assert session["readOnly"] is False


async def test_only_live_sessions_are_listed(gql: GraphQL, world: World, factory: Factory) -> None:
    await factory.session_token(world.member, revoked=True)
    await factory.session_token(
        world.member, created_at=clock.now() - timedelta(hours=3), expires_in=timedelta(hours=1)
    )

    sessions = (await _user(gql, SESSIONS, uid(world.member), world.master))["sessions"]

    assert len(sessions) == 1  # the world's session of the member


async def test_a_user_without_sessions_has_an_empty_list(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    user = await factory.user()

    assert (await _user(gql, SESSIONS, uid(user), world.master))["sessions"] == []


# ---------------------------------------------------------------- activity


async def _make_activity(gql: GraphQL, client: httpx.AsyncClient, world: World) -> None:
    """Six events: a login (the member is actor and target), feedback they sent (actor only),
    and four changes an operator made to them (target only)."""
    token = (await login(gql, "member@own.test"))["token"]
    sent = await send_feedback(client, token, {"kind": "IDEA", "message": "Dark mode"})
    assert sent.status_code == 201, sent.text
    for name in ("A", "B", "C"):
        await USER_UPDATE.ok(gql, {"userId": uid(world.member), "name": name}, token=world.master)
    await USER_SUSPEND.ok(gql, {"userId": uid(world.member), "reason": "x"}, token=world.master)


NEWEST_FIRST = [
    "user.suspend",
    "user.update",
    "user.update",
    "user.update",
    "feedback.create",
    "session.create",
]


async def test_activity_lists_events_where_the_user_is_target_or_actor(
    gql: GraphQL, client: httpx.AsyncClient, world: World
) -> None:
    await _make_activity(gql, client, world)

    activity = (await _user(gql, ACTIVITY, uid(world.member), world.master, first=20))["activity"]

    assert [edge["node"]["action"] for edge in activity["edges"]] == NEWEST_FIRST
    assert activity["totalCount"] == 6
    assert activity["pageInfo"]["hasNextPage"] is False


async def test_activity_pages_with_after(
    gql: GraphQL, client: httpx.AsyncClient, world: World
) -> None:
    await _make_activity(gql, client, world)
    everything = (await _user(gql, ACTIVITY, uid(world.member), world.master, first=20))["activity"]

    seen: list[int] = []
    after = None
    while True:
        page = (await _user(gql, ACTIVITY, uid(world.member), world.master, first=2, after=after))[
            "activity"
        ]
        assert page["totalCount"] == 6
        seen.extend(edge["node"]["seq"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == [edge["node"]["seq"] for edge in everything["edges"]]
    assert len(seen) == 6


async def test_activity_of_another_user_is_not_mixed_in(
    gql: GraphQL, client: httpx.AsyncClient, world: World
) -> None:
    await _make_activity(gql, client, world)

    activity = (await _user(gql, ACTIVITY, uid(world.admin), world.master))["activity"]

    assert activity["totalCount"] == 0
    assert activity["edges"] == []


# ---------------------------------------------------------------- feedback, suspension, notes


async def test_feedback_of_the_user_newest_first(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await add_feedback(factory, world.member, FeedbackKind.BUG, "Old", age=timedelta(days=2))
    await add_feedback(factory, world.member, FeedbackKind.PRAISE, "New", rating=5)
    await add_feedback(factory, world.admin, FeedbackKind.IDEA, "Not theirs")

    feedback = (await _user(gql, FEEDBACK, uid(world.member), world.master))["feedback"]

    assert feedback["totalCount"] == 2
    assert [edge["node"] for edge in feedback["edges"]] == [
        {"kind": "PRAISE", "message": "New", "rating": 5, "user": {"id": uid(world.member)}},
        {"kind": "BUG", "message": "Old", "rating": 4, "user": {"id": uid(world.member)}},
    ]


async def test_suspension_names_reason_end_and_who(gql: GraphQL, world: World) -> None:
    until = (clock.now() + timedelta(days=1)).replace(microsecond=0)
    await USER_SUSPEND.ok(
        gql,
        {"userId": uid(world.member), "reason": "Review", "until": until.isoformat()},
        token=world.staff_token,
    )

    found = await _user(
        gql,
        "query($id: ID!) { user(id: $id) { suspension { reason until by } } }",
        uid(world.member),
        world.master,
    )

    assert found["suspension"]["reason"] == "Review"
    assert found["suspension"]["until"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))
    assert found["suspension"]["by"] == uid(world.staff)


async def test_notes_page_with_after(gql: GraphQL, world: World, factory: Factory) -> None:
    for n in range(5):
        await factory.note(
            world.member,
            f"note {n}",
            NoteCategory.SUPPORT,
            created_at=clock.now() + timedelta(seconds=n),
        )

    first = (await _user(gql, NOTES, uid(world.member), world.master, first=3))["notes"]
    rest = (
        await _user(
            gql,
            NOTES,
            uid(world.member),
            world.master,
            first=3,
            after=first["pageInfo"]["endCursor"],
        )
    )["notes"]

    assert [edge["node"]["body"] for edge in first["edges"]] == ["note 4", "note 3", "note 2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["body"] for edge in rest["edges"]] == ["note 1", "note 0"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert first["totalCount"] == rest["totalCount"] == 5
