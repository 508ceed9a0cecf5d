"""POST /v1/usage: validation codes, atomic batches, idempotency, who may send."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.db import Database
from app.kit import clock
from app.models.usage import Aggregation
from tests.customers.support import project
from tests.helpers import Factory, GraphQL, World, gid
from tests.usage.support import api_key, at, event_count, flush_all, metric, rollups, send


async def test_a_batch_is_stored_and_acknowledged(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "api_calls")
    secret = await api_key(gql, world)
    response = await send(client, secret, [{"metric": "api_calls", "quantity": 3}] * 4)
    assert response.status_code == 202, response.text
    assert response.json() == {"received": 4, "stored": 4, "duplicates": 0}
    assert await event_count(db) == 4
    assert await flush_all(db) == 4
    day = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert await rollups(db) == [(day, world.own.id, "api_calls", 12, 4)]


async def test_every_bad_event_is_named_and_nothing_is_stored(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "api_calls")
    await metric(db, "users", Aggregation.UNIQUE_COUNT)
    secret = await api_key(gql, world)
    now = clock.now()
    other_project = await project(db, world.other)
    events = [
        {"metric": "api_calls", "quantity": 1},
        {"metric": "nope", "quantity": 1},
        {"metric": "api_calls", "quantity": -1},
        {"metric": "api_calls", "quantity": 1, "timestamp": at(now - timedelta(days=36))},
        {"metric": "api_calls", "quantity": 1, "timestamp": at(now + timedelta(hours=1))},
        {"metric": "api_calls", "quantity": 1, "projectId": gid("prj", other_project)},
        {"metric": "users", "quantity": 1},
        {"metric": "api_calls", "quantity": "1"},
        {"metric": "api_calls", "quantity": 1, "timestamp": "yesterday"},
        {"quantity": 1},
    ]
    response = await send(client, secret, events)
    assert response.status_code == 400
    found = [(e["extensions"]["field"], e["extensions"]["code"]) for e in response.json()["errors"]]
    assert sorted(found) == sorted(
        [
            (["events", "1", "metric"], "UNKNOWN_METRIC"),
            (["events", "2", "quantity"], "NEGATIVE_QUANTITY"),
            (["events", "3", "timestamp"], "TIMESTAMP_TOO_OLD"),
            (["events", "4", "timestamp"], "TIMESTAMP_IN_FUTURE"),
            (["events", "5", "projectId"], "UNKNOWN_PROJECT"),
            (["events", "6", "properties"], "VALUE_REQUIRED"),
            (["events", "7", "quantity"], "INVALID"),
            (["events", "8", "timestamp"], "INVALID"),
            (["events", "9", "metric"], "REQUIRED"),
        ]
    )
    assert "Event 1: unknown metric" in response.json()["errors"][0]["message"]
    assert await event_count(db) == 0


async def test_batch_size_and_shape(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "api_calls")
    secret = await api_key(gql, world)
    many = await send(client, secret, [{"metric": "api_calls", "quantity": 1}] * 1001)
    assert many.status_code == 400
    assert many.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_EVENTS"
    full = await send(client, secret, [{"metric": "api_calls", "quantity": 1}] * 1000)
    assert full.status_code == 202
    for bad in ([], "x", None):
        answer = await send(client, secret, bad)
        assert answer.status_code == 400
    assert await event_count(db) == 1000


async def test_a_repeated_idempotency_key_counts_once(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "api_calls")
    secret = await api_key(gql, world)
    batch = [
        {"metric": "api_calls", "quantity": 5, "idempotencyKey": "a"},
        {"metric": "api_calls", "quantity": 5, "idempotencyKey": "a"},
        {"metric": "api_calls", "quantity": 7, "idempotencyKey": "b"},
    ]
    first = await send(client, secret, batch)
    assert first.json() == {"received": 3, "stored": 2, "duplicates": 1}
    again = await send(client, secret, batch)
    assert again.status_code == 202
    assert again.json() == {"received": 3, "stored": 0, "duplicates": 3}
    # Another customer's key may use the same idempotency key.
    other = await api_key(gql, world, world.other)
    assert (await send(client, other, batch[:1])).json()["stored"] == 1
    await flush_all(db)
    totals = {(row[1], row[3]) for row in await rollups(db)}
    assert totals == {(world.own.id, 12), (world.other.id, 5)}


async def test_projects_and_timestamps(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "api_calls")
    mine = await project(db, world.own)
    bound = await api_key(gql, world, projectId=gid("prj", mine))
    earlier = clock.now() - timedelta(days=2)
    response = await send(
        client, bound, [{"metric": "api_calls", "quantity": 2, "timestamp": at(earlier)}]
    )
    assert response.status_code == 202
    listed = await gql.ok(
        "query { usageEvents { edges { node { projectId timestamp quantity metric } } } }",
        token=world.master,
    )
    node = listed["usageEvents"]["edges"][0]["node"]
    assert node["projectId"] == gid("prj", mine)
    assert node["quantity"] == 2


async def test_who_may_send(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient, factory: Factory
) -> None:
    await metric(db, "api_calls")
    event = [{"metric": "api_calls", "quantity": 1}]
    assert (await client.post("/v1/usage", json={"events": event})).status_code == 401
    assert (await send(client, world.master, event)).status_code == 401
    assert (await send(client, world.owner_token, event)).status_code == 401
    assert (await send(client, "ak_live_nope", event)).status_code == 401
    assert await event_count(db) == 0
