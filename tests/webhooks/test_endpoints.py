"""Webhook endpoints: create, update, delete, rotate, test; permissions from both sides."""

from __future__ import annotations

import sqlalchemy as sa

from app.db import Database
from app.kit.crypto import decrypt
from app.models.tables import OUTBOX_EVENTS, WEBHOOK_ENDPOINTS
from app.settings import Settings
from tests.customers import support as customers
from tests.helpers import GraphQL, Mutation, World, gid
from tests.support import rows
from tests.webhooks import support

# A public address literal: no name to resolve, nothing private.
PUBLIC = "https://93.184.215.14/hooks"
ENDPOINT = "endpoint { id url eventTypes enabled description customer { slug } }"
CREATE = Mutation("webhookEndpointCreate", f"{ENDPOINT} secret")
UPDATE = Mutation("webhookEndpointUpdate", ENDPOINT)
DELETE = Mutation("webhookEndpointDelete", "deletedEndpointId")
ROTATE = Mutation("webhookEndpointRotateSecret", "endpoint { id previousSecretExpiresAt } secret")
TEST = Mutation("webhookEndpointTest", "endpoint { id }")


def new_endpoint(world: World, **fields: object) -> dict[str, object]:
    return {
        "customerId": gid("cus", world.own),
        "url": PUBLIC,
        "eventTypes": ["customer.updated", "member.added"],
        **fields,
    }


async def stored(db: Database) -> list[sa.Row[object]]:
    return await rows(db, sa.select(WEBHOOK_ENDPOINTS))


async def test_create_returns_the_secret_once_and_stores_it_encrypted(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    payload = await CREATE.ok(
        gql, new_endpoint(world, description="CRM sync"), token=world.owner_token
    )
    secret = payload["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 30
    assert payload["endpoint"]["customer"] == {"slug": "own-co"}
    assert payload["endpoint"]["eventTypes"] == ["customer.updated", "member.added"]
    [row] = await stored(db)
    assert secret not in row.secret_encrypted
    assert decrypt(settings.resolved_secret_key(), row.secret_encrypted) == secret
    [event] = await customers.events(db, "webhook_endpoint.create")
    assert event.customer_id == world.own.id
    assert "secret" not in str(event.diff).lower()


async def test_create_refuses_unsafe_urls(gql: GraphQL, world: World, db: Database) -> None:
    for url in (
        "http://93.184.215.14/hooks",  # plain http
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://224.0.0.1/hooks",
        "https://localhost/hooks",  # resolves to a loopback address
        "https://user:pw@93.184.215.14/hooks",
        "ftp://93.184.215.14/hooks",
    ):
        found = await CREATE.refused(gql, new_endpoint(world, url=url), token=world.master)
        assert found == [("UNSAFE_URL", ["input", "url"])], url
    assert await stored(db) == []


async def test_create_checks_event_types(gql: GraphQL, world: World) -> None:
    found = await CREATE.refused(
        gql, new_endpoint(world, eventTypes=["user.nonsense"]), token=world.master
    )
    assert found == [("UNKNOWN_EVENT_TYPE", ["input", "eventTypes"])]
    found = await CREATE.refused(gql, new_endpoint(world, eventTypes=[]), token=world.master)
    assert found == [("REQUIRED", ["input", "eventTypes"])]
    found = await CREATE.refused(
        gql, new_endpoint(world, eventTypes=[], url="http://x"), token=world.master
    )
    assert sorted(found) == [
        ("REQUIRED", ["input", "eventTypes"]),
        ("UNSAFE_URL", ["input", "url"]),
    ]


async def test_create_permissions_both_sides(gql: GraphQL, world: World, db: Database) -> None:
    other = new_endpoint(world, customerId=gid("cus", world.other))
    assert await CREATE.refused(gql, other, token=world.owner_token) == [
        ("NOT_FOUND", ["input", "customerId"])
    ]
    assert await CREATE.refused(gql, new_endpoint(world), token=world.member_token) == [
        ("NOT_FOUND", ["input", "customerId"])
    ]
    refused = await CREATE.send(gql, new_endpoint(world), token=world.read_only_token)
    assert refused.data == {CREATE.name: None}
    assert await stored(db) == []
    assert (await CREATE.ok(gql, other, token=world.master))["endpoint"]["customer"] == {
        "slug": "other-co"
    }
    assert (await CREATE.ok(gql, new_endpoint(world), token=world.admin_token))["secret"]


async def test_create_dry_run_and_idempotent_replay(
    gql: GraphQL, world: World, db: Database
) -> None:
    dry = await CREATE.ok(gql, new_endpoint(world), token=world.master, dry_run=True)
    assert dry["secret"] is None
    assert await stored(db) == []
    first = await CREATE.ok(gql, new_endpoint(world), token=world.master, key="create-1")
    again = await CREATE.ok(gql, new_endpoint(world), token=world.master, key="create-1")
    assert again["endpoint"]["id"] == first["endpoint"]["id"]
    assert again["secret"] is None  # a secret is shown once, never replayed
    assert len(await stored(db)) == 1
    reused = await CREATE.refused(
        gql, new_endpoint(world, url=PUBLIC + "/x"), token=world.master, key="create-1"
    )
    assert reused == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]


async def test_update(gql: GraphQL, world: World, db: Database) -> None:
    created = await CREATE.ok(gql, new_endpoint(world), token=world.owner_token)
    endpoint_id = created["endpoint"]["id"]
    payload = await UPDATE.ok(
        gql,
        {
            "endpointId": endpoint_id,
            "url": PUBLIC + "/v2",
            "eventTypes": ["user.suspended"],
            "enabled": False,
        },
        token=world.admin_token,
    )
    assert payload["endpoint"]["url"] == PUBLIC + "/v2"
    assert payload["endpoint"]["eventTypes"] == ["user.suspended"]
    assert payload["endpoint"]["enabled"] is False
    [event] = await customers.events(db, "webhook_endpoint.update")
    assert set(event.diff) == {"url", "eventTypes", "enabled"}
    found = await UPDATE.refused(
        gql, {"endpointId": endpoint_id, "url": "https://127.0.0.1/"}, token=world.master
    )
    assert found == [("UNSAFE_URL", ["input", "url"])]
    found = await UPDATE.refused(
        gql, {"endpointId": endpoint_id, "eventTypes": ["nope"]}, token=world.master
    )
    assert found == [("UNKNOWN_EVENT_TYPE", ["input", "eventTypes"])]
    dry = await UPDATE.ok(
        gql, {"endpointId": endpoint_id, "enabled": True}, token=world.master, dry_run=True
    )
    assert dry["endpoint"]["enabled"] is True
    [row] = await stored(db)
    assert row.enabled is False


async def test_update_and_delete_another_customers_endpoint_are_not_found(
    gql: GraphQL, world: World
) -> None:
    other = await CREATE.ok(
        gql, new_endpoint(world, customerId=gid("cus", world.other)), token=world.master
    )
    endpoint_id = other["endpoint"]["id"]
    for mutation, extra in ((UPDATE, {"enabled": False}), (DELETE, {}), (ROTATE, {}), (TEST, {})):
        found = await mutation.refused(
            gql, {"endpointId": endpoint_id, **extra}, token=world.owner_token
        )
        assert found == [("NOT_FOUND", ["input", "endpointId"])], mutation.name
    found = await DELETE.refused(gql, {"endpointId": "whe_bad"}, token=world.master)
    assert found == [("NOT_FOUND", ["input", "endpointId"])]


async def test_delete(gql: GraphQL, world: World, db: Database) -> None:
    created = await CREATE.ok(gql, new_endpoint(world), token=world.owner_token)
    endpoint_id = created["endpoint"]["id"]
    dry = await DELETE.ok(gql, {"endpointId": endpoint_id}, token=world.master, dry_run=True)
    assert dry["deletedEndpointId"] == endpoint_id
    assert len(await stored(db)) == 1
    payload = await DELETE.ok(gql, {"endpointId": endpoint_id}, token=world.owner_token, key="d")
    assert payload["deletedEndpointId"] == endpoint_id
    assert await stored(db) == []
    again = await DELETE.ok(gql, {"endpointId": endpoint_id}, token=world.owner_token, key="d")
    assert again == payload
    assert len(await customers.events(db, "webhook_endpoint.delete")) == 1


async def test_rotate_keeps_the_old_secret_for_a_day(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    created = await CREATE.ok(gql, new_endpoint(world), token=world.owner_token)
    endpoint_id = created["endpoint"]["id"]
    dry = await ROTATE.ok(gql, {"endpointId": endpoint_id}, token=world.master, dry_run=True)
    assert dry["secret"] is None
    rotated = await ROTATE.ok(gql, {"endpointId": endpoint_id}, token=world.owner_token)
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    assert rotated["endpoint"]["previousSecretExpiresAt"] is not None
    [row] = await stored(db)
    key = settings.resolved_secret_key()
    assert decrypt(key, row.secret_encrypted) == rotated["secret"]
    assert decrypt(key, row.previous_secret_encrypted) == created["secret"]


async def test_test_event_goes_through_the_outbox(gql: GraphQL, world: World, db: Database) -> None:
    created = await CREATE.ok(gql, new_endpoint(world), token=world.owner_token)
    endpoint_id = created["endpoint"]["id"]
    await TEST.ok(gql, {"endpointId": endpoint_id}, token=world.owner_token, dry_run=True)
    assert await support.outbox(db, "webhook.test") == []
    await TEST.ok(gql, {"endpointId": endpoint_id}, token=world.owner_token)
    [event] = await support.outbox(db, "webhook.test")
    assert event.data["endpointId"] == endpoint_id
    assert event.customer_id == world.own.id
    await UPDATE.ok(gql, {"endpointId": endpoint_id, "enabled": False}, token=world.master)
    found = await TEST.refused(gql, {"endpointId": endpoint_id}, token=world.master)
    assert found == [("ENDPOINT_DISABLED", ["input", "endpointId"])]


async def test_event_types_are_the_catalogue(gql: GraphQL, world: World) -> None:
    data = await gql.ok(
        "{ webhookEventTypes { type description samplePayload } }", token=world.owner_token
    )
    types = {item["type"]: item for item in data["webhookEventTypes"]}
    assert {"user.suspended", "customer.updated", "member.added"} <= set(types)
    sample = types["customer.updated"]["samplePayload"]
    assert set(sample) >= {"type", "timestamp", "data"}
    assert sample["type"] == "customer.updated"


async def test_customer_lists_its_endpoints(gql: GraphQL, world: World) -> None:
    await CREATE.ok(gql, new_endpoint(world), token=world.master)
    await CREATE.ok(
        gql, new_endpoint(world, customerId=gid("cus", world.other)), token=world.master
    )
    query = "{ customers { nodes { slug webhookEndpoints { totalCount nodes { url } } } } }"
    data = await gql.ok(query, token=world.owner_token)
    assert data["customers"]["nodes"] == [
        {"slug": "own-co", "webhookEndpoints": {"totalCount": 1, "nodes": [{"url": PUBLIC}]}}
    ]


async def test_a_dry_run_writes_no_outbox_row(gql: GraphQL, world: World, db: Database) -> None:
    update = Mutation("customerUpdate", "customer { name }")
    before = await rows(db, sa.select(sa.func.count()).select_from(OUTBOX_EVENTS))
    await update.ok(
        gql, {"customerId": gid("cus", world.own), "name": "New"}, token=world.master, dry_run=True
    )
    assert await rows(db, sa.select(sa.func.count()).select_from(OUTBOX_EVENTS)) == before
    await update.ok(gql, {"customerId": gid("cus", world.own), "name": "New"}, token=world.master)
    [event] = await support.outbox(db, "customer.updated")
    assert event.data["changed"] == ["name"]
    assert event.customer_id == world.own.id
