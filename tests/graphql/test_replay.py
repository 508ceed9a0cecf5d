"""Idempotent replays name payload types by their GraphQL names, so a retry within 24 hours
survives a refactor that moves the Python classes (the case idempotency keys exist for)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.models.tables import AUDIT_EVENTS, IDEMPOTENCY_RECORDS, USERS
from tests.helpers import Factory, GraphQL, World
from tests.support import rows
from tests.users.support import USER_DELETE, uid

KEY = "delete-once-2026"


async def _record(db: Database) -> dict[str, Any]:
    [row] = await rows(db, sa.select(IDEMPOTENCY_RECORDS.c.response))
    response: dict[str, Any] = row.response
    return response


async def _rewrite(db: Database, response: dict[str, Any]) -> None:
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.update(IDEMPOTENCY_RECORDS).values(response=response))


async def _first_delete(gql: GraphQL, world: World, factory: Factory) -> tuple[str, Any]:
    victim = await factory.user("leaving@example.com")
    input = {"userId": uid(victim), "confirm": True, "hard": True}
    first = await USER_DELETE.payload(gql, input, token=world.master, key=KEY)
    assert first["userErrors"] == []
    assert {item["kind"] for item in first["removed"]} >= {"users"}
    return uid(victim), first


async def test_stored_results_name_graphql_types_not_python_paths(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await _first_delete(gql, world, factory)
    stored = await _record(db)
    kinds = {item["$object"] for item in stored["removed"]}
    assert kinds == {"RemovedCount"}
    assert "app.graphql" not in str(stored)  # no `module:qualname` anywhere


async def test_a_record_naming_a_moved_class_still_replays(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    victim, first = await _first_delete(gql, world, factory)
    stored = await _record(db)
    # As a version that stored Python paths wrote it, for a module that no longer exists.
    for item in stored["removed"]:
        item["$object"] = "app.graphql.gone.somewhere:RemovedCount"
    await _rewrite(db, stored)
    audited = len(await rows(db, sa.select(AUDIT_EVENTS.c.id)))

    response = await USER_DELETE.send(
        gql, {"userId": victim, "confirm": True, "hard": True}, token=world.master, key=KEY
    )

    assert response.status == 200
    assert response.headers["idempotent-replayed"] == "true"
    assert response.data["userDelete"] == first
    assert len(await rows(db, sa.select(AUDIT_EVENTS.c.id))) == audited  # not acted again


async def test_a_record_naming_a_type_the_schema_lacks_is_a_user_error(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    victim, _ = await _first_delete(gql, world, factory)
    stored = await _record(db)
    for item in stored["removed"]:
        item["$object"] = "NoSuchTypeAnyMore"
    await _rewrite(db, stored)
    before = len(await rows(db, sa.select(USERS.c.id)))

    payload = await USER_DELETE.payload(
        gql, {"userId": victim, "confirm": True, "hard": True}, token=world.master, key=KEY
    )

    assert payload["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert payload["userErrors"][0]["field"] == ["idempotencyKey"]
    assert len(await rows(db, sa.select(USERS.c.id))) == before
