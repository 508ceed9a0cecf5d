"""Master API keys: created once-shown, listed without secrets, revoked for good."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from app.kit.crypto import token_hash
from app.models.tables import MASTER_KEYS
from tests.helpers import GraphQL, Mutation, World, gid
from tests.support import audit_events, counts, master_key_id, rows

CREATE = Mutation(
    "masterKeyCreate",
    "key masterKey { id name prefix createdBy createdAt lastUsedAt revokedAt active }",
)
REVOKE = Mutation("masterKeyRevoke", "masterKey { id revokedAt active }", user_errors="field code")

LIST = """
query($active: Boolean) {
  masterKeys(filter: {active: $active}) {
    totalCount
    edges { cursor node { id name prefix createdBy createdAt lastUsedAt revokedAt active } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def create(
    gql: GraphQL, token: str, name: str = "deploy bot", *, dry_run: bool = False
) -> dict[str, Any]:
    return await CREATE.payload(gql, {"name": name}, token=token, dry_run=dry_run)


async def test_create_returns_the_key_once_and_it_works(
    gql: GraphQL, world: World, db: Any
) -> None:
    payload = await create(gql, world.master)
    assert payload["userErrors"] == []
    key = payload["key"]
    assert key.startswith("admk_")
    assert len(key) > 40
    created = payload["masterKey"]
    assert created["name"] == "deploy bot"
    assert created["prefix"] == key[:12]
    assert created["createdBy"] == await master_key_id(db, world.master)
    assert created["active"] is True
    assert created["revokedAt"] is None
    assert created["lastUsedAt"] is None
    # The new key is a bearer token of MASTER scope.
    me = await gql.ok("{ me { scope masterKey { id } } }", token=key)
    assert me == {"me": {"scope": "MASTER", "masterKey": {"id": created["id"]}}}
    # Only the hash is stored.
    stored = await rows(db, sa.select(MASTER_KEYS).where(MASTER_KEYS.c.name == "deploy bot"))
    assert stored[0].key_hash == token_hash(key)
    assert key not in str(stored[0]._mapping)


async def test_staff_session_creates_keys_in_its_own_name(gql: GraphQL, world: World) -> None:
    payload = await create(gql, world.staff_token)
    assert payload["userErrors"] == []
    assert payload["masterKey"]["createdBy"] == gid("usr", world.staff)


async def test_create_is_audited_with_the_secret_redacted(
    gql: GraphQL, world: World, db: Any
) -> None:
    response = await CREATE.send(gql, {"name": "deploy bot"}, token=world.master)
    payload = response.data["masterKeyCreate"]
    event = (await audit_events(db))[-1]
    assert event.action == "master_key.create"
    assert event.actor_type == "MASTER_KEY"
    assert event.actor_id == await master_key_id(db, world.master)
    assert event.target_type == "MasterKey"
    assert event.target_id == payload["masterKey"]["id"]
    assert event.request_id == response.headers["x-request-id"]
    assert event.diff == {
        "name": {"before": None, "after": "deploy bot"},
        "prefix": {"before": None, "after": payload["key"][:12]},
        "key": {"before": None, "after": "[REDACTED]"},
    }
    for stored in await audit_events(db):
        assert payload["key"] not in orjson.dumps(dict(stored._mapping), default=str).decode()


@pytest.mark.parametrize(
    ("name", "code"),
    [("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 101, "TOO_LONG")],
    ids=["empty", "blank", "too-long"],
)
async def test_create_with_a_bad_name_writes_nothing(
    gql: GraphQL, world: World, db: Any, name: str, code: str
) -> None:
    before = await counts(db)
    payload = await create(gql, world.master, name)
    assert payload == {
        "userErrors": [
            {
                "field": ["input", "name"],
                "message": payload["userErrors"][0]["message"],
                "code": code,
            }
        ],
        "key": None,
        "masterKey": None,
    }
    assert await counts(db) == before


async def test_create_accepts_a_hundred_characters_trimmed(gql: GraphQL, world: World) -> None:
    payload = await create(gql, world.master, "  " + "x" * 100 + "  ")
    assert payload["userErrors"] == []
    assert payload["masterKey"]["name"] == "x" * 100
    listed = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on MasterKey { name } } }",
        {"id": payload["masterKey"]["id"]},
        token=world.master,
    )
    assert listed["node"]["name"] == "x" * 100


async def test_dry_run_create_returns_no_key_and_writes_nothing(
    gql: GraphQL, world: World, db: Any
) -> None:
    before = await counts(db)
    payload = await create(gql, world.master, dry_run=True)
    assert payload["userErrors"] == []
    assert payload["key"] is None
    assert payload["masterKey"]["name"] == "deploy bot"  # what would be created
    assert await counts(db) == before
    listing = await gql.ok(LIST, token=world.master)
    assert [edge["node"]["name"] for edge in listing["masterKeys"]["edges"]] == ["test"]


async def test_idempotent_replay_does_not_return_the_secret_again(
    gql: GraphQL, world: World, db: Any
) -> None:
    first = await CREATE.send(gql, {"name": "ci"}, token=world.master, key="create-ci-key")
    assert first.data["masterKeyCreate"]["key"].startswith("admk_")
    assert "idempotent-replayed" not in first.headers
    after_first = await counts(db)
    second = await CREATE.send(gql, {"name": "ci"}, token=world.master, key="create-ci-key")
    assert second.status == 200
    assert second.headers["idempotent-replayed"] == "true"
    replayed = second.data["masterKeyCreate"]
    assert replayed["userErrors"] == []
    assert replayed["key"] is None
    assert replayed["masterKey"] == first.data["masterKeyCreate"]["masterKey"]
    assert await counts(db) == after_first


# ---------------------------------------------------------------- listing


async def test_listing_never_shows_a_secret(gql: GraphQL, world: World) -> None:
    secrets = [world.master]
    for name in ("one", "two"):
        secrets.append((await create(gql, world.master, name))["key"])
    response = await gql(LIST, token=world.master)
    listing = response.data["masterKeys"]
    assert listing["totalCount"] == 3
    assert [edge["node"]["name"] for edge in listing["edges"]] == ["two", "one", "test"]
    text = orjson.dumps(response.body).decode()
    for secret in secrets:
        assert secret not in text
        assert secret[12:] not in text
        assert token_hash(secret) not in text
    for edge in listing["edges"]:
        node = edge["node"]
        assert node["prefix"] in {secret[:12] for secret in secrets}
        assert node["createdAt"] is not None


async def test_listing_shows_when_a_key_was_last_used(gql: GraphQL, world: World) -> None:
    key = (await create(gql, world.master, "fresh"))["key"]
    before = await gql.ok(LIST, token=world.master)
    fresh = next(e["node"] for e in before["masterKeys"]["edges"] if e["node"]["name"] == "fresh")
    assert fresh["lastUsedAt"] is None
    await gql.ok("{ __typename }", token=key)
    after = await gql.ok(LIST, token=world.master)
    fresh = next(e["node"] for e in after["masterKeys"]["edges"] if e["node"]["name"] == "fresh")
    assert fresh["lastUsedAt"] is not None


async def test_listing_filters_active_and_revoked(gql: GraphQL, world: World) -> None:
    payload = await create(gql, world.master, "old")
    await REVOKE.payload(gql, {"masterKeyId": payload["masterKey"]["id"]}, token=world.master)
    active = await gql.ok(LIST, {"active": True}, token=world.master)
    assert [e["node"]["name"] for e in active["masterKeys"]["edges"]] == ["test"]
    revoked = await gql.ok(LIST, {"active": False}, token=world.master)
    nodes = [e["node"] for e in revoked["masterKeys"]["edges"]]
    assert [(n["name"], n["active"]) for n in nodes] == [("old", False)]
    assert nodes[0]["revokedAt"] is not None


async def test_master_key_resolves_by_node_id(gql: GraphQL, world: World, db: Any) -> None:
    key_id = await master_key_id(db, world.master)
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { id ... on MasterKey { name active } } }",
        {"id": key_id},
        token=world.master,
    )
    assert data == {"node": {"id": key_id, "name": "test", "active": True}}


# ---------------------------------------------------------------- revoking


async def test_revoked_key_gets_401(gql: GraphQL, world: World, db: Any) -> None:
    payload = await create(gql, world.master, "doomed")
    key = payload["key"]
    await gql.ok("{ me { scope } }", token=key)
    revoked = await REVOKE.payload(
        gql, {"masterKeyId": payload["masterKey"]["id"]}, token=world.master
    )
    assert revoked["userErrors"] == []
    assert revoked["masterKey"]["active"] is False
    response = await gql("{ me { scope } }", token=key)
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]
    event = (await audit_events(db))[-1]
    assert event.action == "master_key.revoke"
    assert event.target_id == payload["masterKey"]["id"]
    assert event.diff["revokedAt"]["before"] is None
    assert event.diff["revokedAt"]["after"] is not None


async def test_revoke_is_idempotent(gql: GraphQL, world: World, db: Any) -> None:
    target = (await create(gql, world.master, "twice"))["masterKey"]["id"]
    first = await REVOKE.payload(gql, {"masterKeyId": target}, token=world.master)
    after_first = await counts(db)
    second = await REVOKE.payload(gql, {"masterKeyId": target}, token=world.master)
    assert second["userErrors"] == []
    assert second["masterKey"] == first["masterKey"]
    assert await counts(db) == after_first


async def test_a_key_may_revoke_itself(gql: GraphQL, world: World, db: Any) -> None:
    own_id = await master_key_id(db, world.master)
    revoked = await REVOKE.payload(gql, {"masterKeyId": own_id}, token=world.master)
    assert revoked["userErrors"] == []
    assert (await gql("{ me { scope } }", token=world.master)).status == 401


async def test_dry_run_revoke_keeps_the_key_working(gql: GraphQL, world: World, db: Any) -> None:
    payload = await create(gql, world.master, "kept")
    before = await counts(db)
    revoked = await REVOKE.payload(
        gql, {"masterKeyId": payload["masterKey"]["id"]}, token=world.master, dry_run=True
    )
    assert revoked["userErrors"] == []
    assert revoked["masterKey"]["active"] is False  # what would be
    assert await counts(db) == before
    await gql.ok("{ me { scope } }", token=payload["key"])


@pytest.mark.parametrize(
    "bad_id",
    ["nonsense", "mky_00000000000000000000000000", "usr_00000000000000000000000000", "mky_zz"],
)
async def test_revoke_with_a_bad_id_writes_nothing(
    gql: GraphQL, world: World, db: Any, bad_id: str
) -> None:
    before = await counts(db)
    revoked = await REVOKE.payload(gql, {"masterKeyId": bad_id}, token=world.master)
    assert revoked == {
        "userErrors": [{"field": ["input", "masterKeyId"], "code": "NOT_FOUND"}],
        "masterKey": None,
    }
    assert await counts(db) == before
