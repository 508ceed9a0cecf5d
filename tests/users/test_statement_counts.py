"""A page of users with every nested relation runs a constant number of SQL statements."""

from __future__ import annotations

from app.db import Database
from app.kit.actor import Actor, ActorType
from app.models import FeedbackKind, NoteCategory
from tests.helpers import Factory, GraphQL, StatementCounter
from tests.users.support import add_event, add_feedback, uid

PAGE = """
query($first: Int!) {
  users(first: $first) {
    edges { node {
      sessions { id }
      activity { totalCount edges { node { action } } }
      feedback { totalCount edges { node { kind } } }
      notes { totalCount }
      suspension { reason }
    } }
  }
}"""


async def _busy_users(factory: Factory, db: Database, how_many: int) -> None:
    """Users that each have sessions, audit events (as target and actor), feedback and notes."""
    for _ in range(how_many):
        user = await factory.user()
        await factory.session_token(user)
        await factory.session_token(user)
        await add_event(db, "user.update", user)
        await add_event(db, "session.create", user, Actor(ActorType.USER, uid(user)))
        await add_feedback(factory, user, FeedbackKind.BUG)
        await add_feedback(factory, user, FeedbackKind.IDEA)
        await factory.note(user, "One", NoteCategory.SUPPORT)
        await factory.note(user, "Two")


async def _statements_for(
    gql: GraphQL, statements: StatementCounter, token: str, first: int
) -> int:
    with statements.measure():
        data = await gql.ok(PAGE, {"first": first}, token=token)
    nodes = [edge["node"] for edge in data["users"]["edges"]]
    assert len(nodes) == first
    for node in nodes:
        assert len(node["sessions"]) == 2
        assert node["activity"]["totalCount"] == 2
        assert node["feedback"]["totalCount"] == 2
        assert node["notes"]["totalCount"] == 2
    return statements.count


async def test_three_users_and_twelve_users_cost_the_same_statements(
    gql: GraphQL, factory: Factory, db: Database, statements: StatementCounter, master_token: str
) -> None:
    await _busy_users(factory, db, 12)
    await gql.ok("{ me { scope } }", token=master_token)  # the key's first use is recorded once

    three = await _statements_for(gql, statements, master_token, 3)
    twelve = await _statements_for(gql, statements, master_token, 12)

    assert three == twelve
    assert twelve <= 12  # authentication, the page, and one batch per relation
