"""Relations selected on a page are loaded eagerly, level by level (app/graphql/preload.py).

The answer must be the same as when each object resolves its relations lazily, whatever the
shape of the selection (fragments, aliases), and a field the caller may not read is not loaded.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQL, StatementCounter, World, gid

RELATIONS = "email memberships { role customer { slug plan { code } } }"


async def _lazy(gql: GraphQL, world: World, user_id: str) -> Any:
    data = await gql.ok(
        "query($id: ID!) { user(id: $id) { " + RELATIONS + " } }",
        {"id": user_id},
        token=world.master,
    )
    return data["user"]


async def test_a_preloaded_page_answers_like_lazy_loading(gql: GraphQL, world: World) -> None:
    page = await gql.ok(
        "{ users(first: 50) { nodes { id " + RELATIONS + " } } }", token=world.master
    )
    nodes = page["users"]["nodes"]
    assert any(node["memberships"] for node in nodes)
    for node in nodes:
        node_id = node.pop("id")
        assert node == await _lazy(gql, world, node_id)


async def test_fragments_and_aliases_are_followed(gql: GraphQL, world: World) -> None:
    data = await gql.ok(
        """
        { users(first: 50, filter: {search: "own.test"}) { edges { node { ...Who } } } }
        fragment Who on User {
          email
          teams: memberships { ... on Membership { customer { slug } } role }
        }
        """,
        token=world.master,
    )
    by_email = {edge["node"]["email"]: edge["node"] for edge in data["users"]["edges"]}
    assert by_email["owner@own.test"]["teams"] == [
        {"customer": {"slug": "own-co"}, "role": "OWNER"}
    ]
    assert by_email["member@own.test"]["teams"] == [
        {"customer": {"slug": "own-co"}, "role": "MEMBER"}
    ]


async def test_a_master_only_relation_is_not_loaded_for_a_session_admin(
    gql: GraphQL, world: World, statements: StatementCounter
) -> None:
    with statements.measure():
        plain = await gql("{ users { nodes { email } } }", token=world.owner_token)
    without = statements.count
    with statements.measure():
        refused = await gql("{ users { nodes { email notesCount } } }", token=world.owner_token)
    assert plain.status == refused.status == 200
    assert set(refused.codes) == {"FORBIDDEN"}
    assert all(node["notesCount"] is None for node in refused.data["users"]["nodes"])
    assert statements.count == without


async def test_a_relation_with_arguments_is_left_to_its_resolver(
    gql: GraphQL, world: World
) -> None:
    owner = gid("usr", world.owner)
    data = await gql.ok(
        "{ customers { nodes { slug members(first: 1) { totalCount nodes { user { id } } } } } }",
        token=world.master,
    )
    own = next(node for node in data["customers"]["nodes"] if node["slug"] == "own-co")
    assert own["members"]["totalCount"] == 3
    assert len(own["members"]["nodes"]) == 1
    assert own["members"]["nodes"][0]["user"]["id"] in {
        owner,
        gid("usr", world.admin),
        gid("usr", world.member),
    }
