"""Global ids: `node(id:)` resolves every kind, wrong kinds of ids are clear errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.kit.ids import encode
from tests.helpers import Factory, GraphQL, World, gid
from tests.support import master_key_id, session_id

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on User { email }
    ... on Customer { slug }
    ... on Membership { role customer { slug } user { email } }
    ... on Plan { code price }
    ... on MasterKey { name }
    ... on Session { kind }
  }
}"""


async def test_node_resolves_every_kind_for_a_master(
    gql: GraphQL, world: World, factory: Factory, db: Any
) -> None:
    membership = await factory.member(world.other, await factory.user("m@other.test"))
    cases = {
        gid("usr", world.owner): {"__typename": "User", "email": "owner@own.test"},
        gid("cus", world.own): {"__typename": "Customer", "slug": "own-co"},
        gid("mem", membership): {
            "__typename": "Membership",
            "role": "MEMBER",
            "customer": {"slug": "other-co"},
            "user": {"email": "m@other.test"},
        },
        gid("pln", world.plan): {
            "__typename": "Plan",
            "code": "pro",
            "price": {"amount": 9900, "currency": "USD"},
        },
        await master_key_id(db, world.master): {"__typename": "MasterKey", "name": "test"},
        await session_id(db, world.owner_token): {"__typename": "Session", "kind": "LOGIN"},
    }
    for node_id, expected in cases.items():
        data = await gql.ok(NODE, {"id": node_id}, token=world.master)
        assert data["node"] == {"id": node_id, **expected}


async def test_node_for_a_session_admin(gql: GraphQL, world: World, db: Any) -> None:
    own_session = await session_id(db, world.owner_token)
    others_session = await session_id(db, world.admin_token)
    visible = {
        gid("usr", world.admin): "User",
        gid("cus", world.own): "Customer",
        gid("pln", world.plan): "Plan",
        own_session: "Session",
    }
    for node_id, typename in visible.items():
        data = await gql.ok(NODE, {"id": node_id}, token=world.owner_token)
        assert data["node"]["__typename"] == typename
    hidden = [
        gid("usr", world.outsider),
        gid("cus", world.other),
        await master_key_id(db, world.master),
        others_session,
    ]
    for node_id in hidden:
        assert await gql.ok(NODE, {"id": node_id}, token=world.owner_token) == {"node": None}


@pytest.mark.parametrize("prefix", ["usr", "cus", "mem", "pln", "mky", "ses", "not", "aud"])
async def test_absent_object_is_null(gql: GraphQL, world: World, prefix: str) -> None:
    data = await gql.ok(NODE, {"id": encode(prefix, uuid.uuid4())}, token=world.master)
    assert data == {"node": None}


@pytest.mark.parametrize(
    "bad_id",
    [
        "garbage",
        "xyz_00000000000000000000000000",
        "usr_short",
        "usr_ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
        "",
    ],
)
async def test_node_with_a_malformed_id_is_an_error(
    gql: GraphQL, master_token: str, bad_id: str
) -> None:
    response = await gql(NODE, {"id": bad_id}, token=master_token)
    assert response.status == 200
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.data == {"node": None}


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("query($id: ID!) { user(id: $id) { id } }", "cus"),
        ("query($id: ID!) { user(id: $id) { id } }", "mem"),
        ("query($id: ID!) { customer(id: $id) { id } }", "usr"),
    ],
)
async def test_id_of_the_wrong_kind_is_a_clear_error(
    gql: GraphQL, master_token: str, query: str, prefix: str
) -> None:
    response = await gql(query, {"id": encode(prefix, uuid.uuid4())}, token=master_token)
    assert response.codes == ["BAD_USER_INPUT"]
    message = response.errors[0]["message"]
    assert "Expected an id like" in message
    assert f"{prefix}_" in message
    assert list(response.data.values()) == [None]


@pytest.mark.parametrize(
    "arguments",
    ["", '(id: "cus_00000000000000000000000000", slug: "own-co")'],
    ids=["none", "both"],
)
async def test_customer_needs_exactly_one_of_id_or_slug(
    gql: GraphQL, master_token: str, arguments: str
) -> None:
    response = await gql(f"{{ customer{arguments} {{ id }} }}", token=master_token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.data == {"customer": None}


async def test_ids_are_opaque_prefixed_strings(gql: GraphQL, world: World) -> None:
    data = await gql.ok(
        "{ users(first: 1) { nodes { id memberships { id customer { id plan { id } } } } } }",
        token=world.master,
    )
    user = data["users"]["nodes"][0]
    assert user["id"].startswith("usr_")
    assert len(user["id"]) == len("usr_") + 26
