"""API key mutations: create, update, revoke (idempotent), rotate with a grace period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash
from tests.customers import support as customers
from tests.helpers import Factory, GraphQL, World, gid
from tests.keys.support import (
    API_KEY_CREATE,
    API_KEY_REVOKE,
    API_KEY_ROTATE,
    API_KEY_UPDATE,
    counts,
    events,
    issue,
    key_rows,
    new_key,
    outbox,
    verify,
)


async def test_create_returns_the_secret_once_and_stores_only_its_hash(
    gql: GraphQL, world: World, db: Database
) -> None:
    project = await customers.project(db, world.own)
    payload = await API_KEY_CREATE.ok(
        gql,
        new_key(world, projectId=gid("prj", project), scopes=["usage:write", "usage:write"]),
        token=world.owner_token,
    )
    key, secret = payload["apiKey"], payload["secret"]
    assert secret.startswith("ak_live_")
    assert key["start"] == secret[:14]
    assert key["scopes"] == ["usage:write"]
    assert key["status"] == "ACTIVE"
    assert key["enabled"] is True
    assert key["planCode"] == "pro"
    assert key["customer"] == {"slug": "own-co"}
    assert key["project"] == {"slug": "api"}
    assert key["createdBy"] == gid("usr", world.owner)
    [row] = await key_rows(db)
    assert row.key_hash == token_hash(secret)
    assert secret not in repr(tuple(row))
    [event] = await events(db, "api_key.create")
    assert event.target_id == key["id"]
    assert event.customer_id == world.own.id
    assert secret not in repr(event.diff)
    assert row.key_hash not in repr(event.diff)
    [created] = await outbox(db, "api_key.created")
    assert created["keyId"] == key["id"]
    assert created["start"] == key["start"]
    assert secret not in repr(created)


async def test_test_environment_and_expiry(gql: GraphQL, world: World) -> None:
    expires = (clock.now() + timedelta(days=30)).isoformat()
    key, secret = await issue(
        gql, world.master, new_key(world, environment="TEST", expiresAt=expires)
    )
    assert secret.startswith("ak_test_")
    assert key["environment"] == "TEST"
    assert key["expiresAt"] is not None


async def test_create_checks_every_field(gql: GraphQL, world: World) -> None:
    found = await API_KEY_CREATE.refused(
        gql,
        new_key(
            world,
            name=" ",
            scopes=["usage:write", "root"],
            expiresAt=(clock.now() - timedelta(seconds=1)).isoformat(),
        ),
        token=world.master,
    )
    assert found == [
        ("REQUIRED", ["input", "name"]),
        ("INVALID", ["input", "scopes"]),
        ("INVALID", ["input", "expiresAt"]),
    ]


async def test_only_a_master_grants_the_verifier_scope(gql: GraphQL, world: World) -> None:
    found = await API_KEY_CREATE.refused(
        gql, new_key(world, scopes=["keys:verify"]), token=world.owner_token
    )
    assert found == [("FORBIDDEN", ["input", "scopes"])]
    key, _ = await issue(gql, world.master, new_key(world, scopes=["keys:verify"]))
    assert key["scopes"] == ["keys:verify"]


async def test_a_project_of_another_customer_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    project = await customers.project(db, world.other)
    found = await API_KEY_CREATE.refused(
        gql, new_key(world, projectId=gid("prj", project)), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "projectId"])]
    malformed = await API_KEY_CREATE.refused(
        gql, new_key(world, projectId="prj_nope"), token=world.master
    )
    assert malformed == [("NOT_FOUND", ["input", "projectId"])]


async def test_create_dry_run_writes_nothing_and_shows_no_secret(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await counts(db)
    payload = await API_KEY_CREATE.ok(gql, new_key(world), token=world.master, dry_run=True)
    assert payload["secret"] is None
    assert payload["apiKey"]["start"].startswith("ak_live_")
    assert await counts(db) == before


async def test_create_replayed_with_its_key_issues_nothing_again(
    gql: GraphQL, world: World, db: Database
) -> None:
    first = await API_KEY_CREATE.ok(gql, new_key(world), token=world.master, key="k-1")
    after_first = await counts(db)
    again = await API_KEY_CREATE.ok(gql, new_key(world), token=world.master, key="k-1")
    assert again["apiKey"]["id"] == first["apiKey"]["id"]
    assert again["secret"] is None  # shown once: never stored for a replay
    assert await counts(db) == after_first
    reused = await API_KEY_CREATE.refused(
        gql, new_key(world, name="Other"), token=world.master, key="k-1"
    )
    assert reused == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]


# ---------------------------------------------------------------- permissions, both sides


async def test_session_admins_manage_their_own_customers_keys(gql: GraphQL, world: World) -> None:
    for token in (world.owner_token, world.admin_token):
        key, _ = await issue(gql, token, new_key(world))
        await API_KEY_UPDATE.ok(gql, {"apiKeyId": key["id"], "name": "Renamed"}, token=token)
        rotated = await API_KEY_ROTATE.ok(gql, {"apiKeyId": key["id"]}, token=token)
        await API_KEY_REVOKE.ok(gql, {"apiKeyId": rotated["apiKey"]["id"]}, token=token)
    listed = await gql.ok("{ apiKeys { totalCount } }", token=world.admin_token)
    assert listed["apiKeys"]["totalCount"] == 4


async def test_admins_of_another_customer_and_members_are_refused(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    outsider = await factory.session_token(world.outsider)
    key, _ = await issue(gql, world.master, new_key(world))
    for token in (outsider, world.member_token):
        assert await API_KEY_CREATE.refused(gql, new_key(world), token=token) == [
            ("NOT_FOUND", ["input", "customerId"])
        ]
        for mutation, extra in (
            (API_KEY_UPDATE, {"name": "Mine"}),
            (API_KEY_REVOKE, {}),
            (API_KEY_ROTATE, {}),
        ):
            refused = await mutation.refused(gql, {"apiKeyId": key["id"], **extra}, token=token)
            assert refused == [("NOT_FOUND", ["input", "apiKeyId"])]
        listed = await gql.ok("{ apiKeys { totalCount } }", token=token)
        assert listed["apiKeys"]["totalCount"] == 0


async def test_a_read_only_session_changes_nothing(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await counts(db)
    response = await API_KEY_CREATE.send(gql, new_key(world), token=world.read_only_token)
    assert response.codes == ["READ_ONLY_SESSION"]
    assert (await counts(db))["api_keys"] == before["api_keys"]


# ---------------------------------------------------------------- update


async def test_update(gql: GraphQL, world: World, db: Database) -> None:
    key, _ = await issue(gql, world.owner_token, new_key(world))
    expires = clock.now() + timedelta(days=1)
    payload = await API_KEY_UPDATE.ok(
        gql,
        {
            "apiKeyId": key["id"],
            "name": "Billing worker",
            "scopes": ["usage:read"],
            "expiresAt": expires.isoformat(),
        },
        token=world.owner_token,
    )
    updated = payload["apiKey"]
    assert (updated["name"], updated["scopes"]) == ("Billing worker", ["usage:read"])
    [event] = await events(db, "api_key.update")
    assert set(event.diff) == {"name", "scopes", "expiresAt"}
    cleared = await API_KEY_UPDATE.ok(
        gql, {"apiKeyId": key["id"], "clearExpiry": True}, token=world.owner_token
    )
    assert cleared["apiKey"]["expiresAt"] is None
    unchanged = await API_KEY_UPDATE.ok(
        gql, {"apiKeyId": key["id"], "name": "Billing worker"}, token=world.owner_token
    )
    assert unchanged["apiKey"]["name"] == "Billing worker"
    assert len(await events(db, "api_key.update")) == 2


async def test_update_checks_and_refuses_a_revoked_key(gql: GraphQL, world: World) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    bad = await API_KEY_UPDATE.refused(
        gql, {"apiKeyId": key["id"], "name": "x" * 201, "scopes": ["nope"]}, token=world.master
    )
    assert bad == [("TOO_LONG", ["input", "name"]), ("INVALID", ["input", "scopes"])]
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master)
    revoked = await API_KEY_UPDATE.refused(
        gql, {"apiKeyId": key["id"], "name": "Back"}, token=world.master
    )
    assert revoked == [("INVALID_STATE", ["input", "apiKeyId"])]
    unknown = await API_KEY_UPDATE.refused(
        gql, {"apiKeyId": "key_nope", "name": "x"}, token=world.master
    )
    assert unknown == [("NOT_FOUND", ["input", "apiKeyId"])]


async def test_update_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    before = await counts(db)
    dry = await API_KEY_UPDATE.ok(
        gql, {"apiKeyId": key["id"], "name": "Dry"}, token=world.master, dry_run=True
    )
    assert dry["apiKey"]["name"] == "Dry"
    assert await counts(db) == before
    first = await API_KEY_UPDATE.ok(
        gql, {"apiKeyId": key["id"], "name": "Wet"}, token=world.master, key="u-1"
    )
    again = await API_KEY_UPDATE.ok(
        gql, {"apiKeyId": key["id"], "name": "Wet"}, token=world.master, key="u-1"
    )
    assert again == first
    assert len(await events(db, "api_key.update")) == 1


# ---------------------------------------------------------------- revoke


async def test_revoke_is_idempotent(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    key, secret = await issue(gql, world.owner_token, new_key(world))
    first = await API_KEY_REVOKE.ok(
        gql, {"apiKeyId": key["id"], "reason": "leaked"}, token=world.owner_token
    )
    assert first["apiKey"]["status"] == "REVOKED"
    assert first["apiKey"]["revokedReason"] == "leaked"
    again = await API_KEY_REVOKE.ok(
        gql, {"apiKeyId": key["id"], "reason": "again"}, token=world.owner_token
    )
    assert again["apiKey"] == first["apiKey"]
    assert len(await events(db, "api_key.revoke")) == 1
    assert len(await outbox(db, "api_key.revoked")) == 1
    answer = (await verify(client, world.master, secret)).json()
    assert answer["code"] == "REVOKED"
    assert answer["valid"] is False


async def test_revoke_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    before = await counts(db)
    dry = await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, dry_run=True)
    assert dry["apiKey"]["status"] == "REVOKED"
    assert await counts(db) == before
    first = await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, key="r")
    again = await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, key="r")
    assert again == first
    assert len(await events(db, "api_key.revoke")) == 1


# ---------------------------------------------------------------- rotate


async def test_rotation_keeps_the_old_key_through_its_grace_period(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    key, old_secret = await issue(gql, world.owner_token, new_key(world, scopes=["usage:write"]))
    payload = await API_KEY_ROTATE.ok(
        gql, {"apiKeyId": key["id"], "gracePeriodSeconds": 3600}, token=world.owner_token
    )
    new, previous, new_secret = payload["apiKey"], payload["previousApiKey"], payload["secret"]
    assert new_secret.startswith("ak_live_")
    assert new_secret != old_secret
    assert (new["name"], new["scopes"]) == ("Server", ["usage:write"])
    assert previous["status"] == "ACTIVE"
    assert previous["replacedById"] == new["id"]
    for secret in (old_secret, new_secret):
        assert (await verify(client, world.master, secret)).json()["code"] == "VALID"
    with clock.travel(timedelta(seconds=3601)):
        assert (await verify(client, world.master, old_secret)).json()["code"] == "REVOKED"
        assert (await verify(client, world.master, new_secret)).json()["code"] == "VALID"
        listed = await gql.ok(
            "{ apiKeys(filter: {status: REVOKED}) { nodes { id } } }", token=world.master
        )
        assert listed["apiKeys"]["nodes"] == [{"id": key["id"]}]
    [event] = await events(db, "api_key.rotate")
    assert event.diff["replacedById"] == {"before": None, "after": new["id"]}
    [rotated] = await outbox(db, "api_key.rotated")
    assert rotated["keyId"] == key["id"]
    assert rotated["newKeyId"] == new["id"]
    assert old_secret not in repr(rotated)
    assert new_secret not in repr(rotated)


async def test_rotation_without_grace_stops_the_old_key_now(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    key, old_secret = await issue(gql, world.master, new_key(world))
    payload = await API_KEY_ROTATE.ok(
        gql, {"apiKeyId": key["id"], "gracePeriodSeconds": 0}, token=world.master
    )
    assert payload["previousApiKey"]["status"] == "REVOKED"
    assert (await verify(client, world.master, old_secret)).json()["code"] == "REVOKED"
    assert (await verify(client, world.master, payload["secret"])).json()["code"] == "VALID"


@pytest.mark.parametrize("grace", [-1, 7 * 24 * 3600 + 1])
async def test_rotation_grace_is_bounded(gql: GraphQL, world: World, grace: int) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    found = await API_KEY_ROTATE.refused(
        gql, {"apiKeyId": key["id"], "gracePeriodSeconds": grace}, token=world.master
    )
    assert found == [("INVALID", ["input", "gracePeriodSeconds"])]


async def test_a_rotated_revoked_or_expired_key_cannot_be_rotated(
    gql: GraphQL, world: World
) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    await API_KEY_ROTATE.ok(
        gql, {"apiKeyId": key["id"], "gracePeriodSeconds": 60}, token=world.master
    )
    again = await API_KEY_ROTATE.refused(gql, {"apiKeyId": key["id"]}, token=world.master)
    assert again == [("INVALID_STATE", ["input", "apiKeyId"])]
    expiring, _ = await issue(
        gql,
        world.master,
        new_key(world, expiresAt=(clock.now() + timedelta(minutes=1)).isoformat()),
    )
    with clock.travel(timedelta(minutes=2)):
        expired = await API_KEY_ROTATE.refused(
            gql, {"apiKeyId": expiring["id"]}, token=world.master
        )
    assert expired == [("INVALID_STATE", ["input", "apiKeyId"])]


async def test_rotate_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    key, _ = await issue(gql, world.master, new_key(world))
    before = await counts(db)
    dry = await API_KEY_ROTATE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, dry_run=True)
    assert dry["secret"] is None
    assert await counts(db) == before
    first = await API_KEY_ROTATE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, key="x")
    again = await API_KEY_ROTATE.ok(gql, {"apiKeyId": key["id"]}, token=world.master, key="x")
    assert again["apiKey"]["id"] == first["apiKey"]["id"]
    assert again["secret"] is None
    assert len(await events(db, "api_key.rotate")) == 1


# ---------------------------------------------------------------- lists


async def test_list_filters(gql: GraphQL, world: World, db: Database) -> None:
    project = await customers.project(db, world.own)
    web, _ = await issue(
        gql, world.master, new_key(world, name="Web", projectId=gid("prj", project))
    )
    cli, _ = await issue(gql, world.master, new_key(world, name="CLI"))
    elsewhere, _ = await issue(
        gql, world.master, {**new_key(world, name="Theirs"), "customerId": gid("cus", world.other)}
    )
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": cli["id"]}, token=world.master)
    query = "query($f: ApiKeyFilter) { apiKeys(filter: $f) { totalCount nodes { id } } }"

    async def ids(token: str, **filters: Any) -> list[str]:
        data = await gql.ok(query, {"f": filters}, token=token)
        return [node["id"] for node in data["apiKeys"]["nodes"]]

    assert await ids(world.master) == [elsewhere["id"], cli["id"], web["id"]]
    assert await ids(world.master, customerId=gid("cus", world.own)) == [cli["id"], web["id"]]
    assert await ids(world.master, projectId=gid("prj", project)) == [web["id"]]
    assert await ids(world.master, status="ACTIVE") == [elsewhere["id"], web["id"]]
    assert await ids(world.master, status="REVOKED") == [cli["id"]]
    assert await ids(world.master, status="EXPIRED") == []
    assert await ids(world.master, search="web") == [web["id"]]
    assert await ids(world.master, search=web["start"]) == [web["id"]]
    assert await ids(world.owner_token) == [cli["id"], web["id"]]
    assert await ids(world.owner_token, customerId=gid("cus", world.other)) == []


async def test_customer_and_project_key_connections(
    gql: GraphQL, world: World, db: Database
) -> None:
    project = await customers.project(db, world.own)
    web, _ = await issue(gql, world.master, new_key(world, projectId=gid("prj", project)))
    cli, _ = await issue(gql, world.master, new_key(world))
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": cli["id"]}, token=world.master)
    found = await gql.ok(
        """query($id: ID!) { customer(id: $id) {
             all: apiKeys { totalCount nodes { id } }
             active: apiKeys(status: ACTIVE) { nodes { id } }
             projects { nodes { apiKeys { nodes { id project { slug } } } } } } }""",
        {"id": gid("cus", world.own)},
        token=world.owner_token,
    )
    data = found["customer"]
    assert data["all"] == {"totalCount": 2, "nodes": [{"id": cli["id"]}, {"id": web["id"]}]}
    assert data["active"]["nodes"] == [{"id": web["id"]}]
    [project_node] = data["projects"]["nodes"]
    assert project_node["apiKeys"]["nodes"] == [{"id": web["id"], "project": {"slug": "api"}}]


async def test_a_project_holding_an_active_key_is_not_deleted(
    gql: GraphQL, world: World, db: Database
) -> None:
    from tests.customers.test_projects import PROJECT_DELETE

    project = await customers.project(db, world.own)
    key, _ = await issue(gql, world.master, new_key(world, projectId=gid("prj", project)))
    refused = await PROJECT_DELETE.refused(
        gql, {"projectId": gid("prj", project)}, token=world.master
    )
    assert refused == [("PROJECT_NOT_EMPTY", ["input", "projectId"])]
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master)
    await PROJECT_DELETE.ok(gql, {"projectId": gid("prj", project)}, token=world.master)
    assert await key_rows(db) == []


async def test_the_scopes_are_listed(gql: GraphQL, world: World) -> None:
    data = await gql.ok("{ apiKeyScopes { name masterOnly } }", token=world.owner_token)
    scopes = {scope["name"]: scope["masterOnly"] for scope in data["apiKeyScopes"]}
    assert scopes["keys:verify"] is True
    assert scopes["usage:write"] is False
