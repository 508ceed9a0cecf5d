"""POST /v1/keys/verify: every code, who may call it, per-plan limits, lastUsedAt behind."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from app.db import Database
from app.keys import loops, tokens
from app.keys.lastused import BUFFER
from app.kit import clock
from app.models.keys import KeyEnvironment
from tests.customers.support import project
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.keys.support import API_KEY_REVOKE, issue, key_rows, new_key, verify


def lookup_cost(db: Database) -> int:
    """One indexed read by hash (SQLite's driver also sends the BEGIN Admiral issues itself)."""
    return 2 if db.is_sqlite else 1


CUSTOMER_DEACTIVATE = Mutation("customerDeactivate", "customer { status }")


async def test_a_valid_key_answers_its_owner_plan_and_scopes(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    prj = await project(db, world.own)
    key, secret = await issue(
        gql,
        world.master,
        new_key(world, projectId=gid("prj", prj), scopes=["usage:write"]),
    )
    response = await verify(client, world.master, secret)
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "code": "VALID",
        "keyId": key["id"],
        "customerId": gid("cus", world.own),
        "projectId": gid("prj", prj),
        "plan": "pro",
        "scopes": ["usage:write"],
        "ratelimit": None,  # the plan sets no rate
    }


async def test_malformed_and_unknown_keys(world: World, client: httpx.AsyncClient) -> None:
    typo = tokens.issue(KeyEnvironment.LIVE).secret
    typo = typo[:-1] + ("0" if typo[-1] != "0" else "1")
    for text in ("", "nope", typo, "ak_live_" + "x" * 500):
        answer = (await verify(client, world.master, text)).json()
        assert (answer["valid"], answer["code"], answer["keyId"]) == (
            False,
            "INVALID_FORMAT",
            None,
        )
    unknown = tokens.issue(KeyEnvironment.TEST).secret
    assert (await verify(client, world.master, unknown)).json()["code"] == "NOT_FOUND"


async def test_a_malformed_key_costs_no_lookup(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    await verify(client, world.master, tokens.issue(KeyEnvironment.LIVE).secret)  # warm auth
    start = db.statements.total
    await verify(client, world.master, "ak_live_short")
    assert db.statements.total == start
    await verify(client, world.master, tokens.issue(KeyEnvironment.LIVE).secret)
    assert db.statements.total == start + lookup_cost(db)


async def test_revoked_expired_and_disabled(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    revoked, revoked_secret = await issue(gql, world.master, new_key(world))
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": revoked["id"]}, token=world.master)
    assert (await verify(client, world.master, revoked_secret)).json()["code"] == "REVOKED"
    _, expiring = await issue(
        gql, world.master, new_key(world, expiresAt=(clock.now() + timedelta(hours=1)).isoformat())
    )
    assert (await verify(client, world.master, expiring)).json()["code"] == "VALID"
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert (await verify(client, world.master, expiring)).json()["code"] == "EXPIRED"
    _, secret = await issue(gql, world.master, new_key(world))
    await CUSTOMER_DEACTIVATE.ok(
        gql, {"customerId": gid("cus", world.own), "reason": "fraud"}, token=world.master
    )
    answer = (await verify(client, world.master, secret)).json()
    assert (answer["valid"], answer["code"]) == (False, "DISABLED")


async def test_rate_limited_per_customer_per_second(
    gql: GraphQL, world: World, factory: Factory, client: httpx.AsyncClient
) -> None:
    plan = await factory.plan("metered", rate_per_second=3)
    seen = []
    for attempt in range(3):  # a run may straddle the turn of the one-second window
        customer = await factory.customer(f"metered-{attempt}", plan=plan)
        owner = {**new_key(world), "customerId": gid("cus", customer)}
        _, first = await issue(gql, world.master, owner)
        _, second = await issue(gql, world.master, owner)
        answers = [
            (await verify(client, world.master, s)).json() for s in (first, second, first, second)
        ]
        codes = [answer["code"] for answer in answers]
        seen.append(codes)
        if codes != ["VALID", "VALID", "VALID", "RATE_LIMITED"]:
            continue
        # One count per customer, shared by its keys.
        assert [a["ratelimit"]["remaining"] for a in answers] == [2, 1, 0, 0]
        assert {a["ratelimit"]["limit"] for a in answers} == {3}
        assert answers[-1]["valid"] is False
        assert answers[-1]["plan"] == "metered"
        return
    pytest.fail(f"no run stayed within one window: {seen}")  # pragma: no cover


async def test_who_may_verify(
    gql: GraphQL, world: World, client: httpx.AsyncClient, factory: Factory
) -> None:
    _, secret = await issue(gql, world.master, new_key(world))
    _, verifier = await issue(gql, world.master, new_key(world, scopes=["keys:verify"]))
    assert (await verify(client, verifier, secret)).json()["code"] == "VALID"
    assert (await verify(client, world.staff_token, secret)).json()["code"] == "VALID"
    for token in (None, "nonsense", secret, world.owner_token, world.read_only_token):
        response = await verify(client, token, secret)
        assert response.status_code == 401, token
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad_body = await client.post(
        "/v1/keys/verify", json={"key": 5}, headers={"Authorization": f"Bearer {world.master}"}
    )
    assert bad_body.status_code == 400


async def test_a_revoked_verifier_key_stops_within_the_cache_time(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    _, secret = await issue(gql, world.master, new_key(world))
    key, verifier = await issue(gql, world.master, new_key(world, scopes=["keys:verify"]))
    assert (await verify(client, verifier, secret)).status_code == 200
    await API_KEY_REVOKE.ok(gql, {"apiKeyId": key["id"]}, token=world.master)
    with clock.travel(timedelta(seconds=6)):
        assert (await verify(client, verifier, secret)).status_code == 401


async def test_last_used_is_written_behind(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    BUFFER.drain()
    _, secret = await issue(gql, world.master, new_key(world))
    await verify(client, world.master, "ak_live_short")  # the master key, now remembered
    start = db.statements.total
    await verify(client, world.master, secret)
    assert db.statements.total - start == lookup_cost(db)  # no write on the hot path
    [row] = await key_rows(db)
    assert row.last_used_at is None
    assert await loops.flush_last_used(db) == 1
    [row] = await key_rows(db)
    assert row.last_used_at is not None
    assert await loops.flush_last_used(db) == 0
    listed = await gql.ok("{ apiKeys { nodes { lastUsedAt } } }", token=world.master)
    assert listed["apiKeys"]["nodes"][0]["lastUsedAt"] is not None


async def test_a_flush_never_moves_last_used_backwards(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    BUFFER.drain()
    _, secret = await issue(gql, world.master, new_key(world))
    with clock.travel(timedelta(hours=1)):
        await verify(client, world.master, secret)
    await loops.flush_last_used(db)
    [later] = await key_rows(db)
    await verify(client, world.master, secret)
    await loops.flush_last_used(db)
    [row] = await key_rows(db)
    assert row.last_used_at == later.last_used_at
