"""Domains obey the runtime settings, with the environment's value as the default: license
heartbeat window, plans' default trial, cash balance of the runway, the log writer's getters."""

from __future__ import annotations

import httpx

from app.db import Database
from app.runtime_settings import values
from app.settings import Settings
from tests.helpers import GraphQL, Mutation, World
from tests.licenses.support import heartbeat, issue, new_license
from tests.ops.support import put

PLAN_CREATE = Mutation("planCreate", "plan { code trialDays }")
RUNWAY = "{ metrics { predictions(horizonMonths: 1) { runway { cashBalance months } } } }"


def plan(code: str, **fields: object) -> dict[str, object]:
    return {"code": code, "name": code, "interval": "MONTH", "amount": 1000, "currency": "USD"} | (
        fields
    )


async def test_heartbeat_window(gql: GraphQL, world: World, client: httpx.AsyncClient) -> None:
    _, key = await issue(gql, world.master, new_license(world))
    assert (await heartbeat(client, key, "m-1"))["heartbeatWindowSeconds"] == 600  # the env's
    await put(gql, world.master, "licenseHeartbeatWindowMinutes", 3)
    answer = await heartbeat(client, key, "m-1")
    assert answer["heartbeatWindowSeconds"] == 180
    before = answer["machine"]["lastHeartbeatAt"]
    assert answer["machine"]["nextHeartbeatBefore"] > before


async def test_default_trial_days(gql: GraphQL, world: World) -> None:
    assert (await PLAN_CREATE.ok(gql, plan("a"), token=world.master))["plan"]["trialDays"] == 0
    await put(gql, world.master, "defaultTrialDays", 21)
    created = await PLAN_CREATE.ok(gql, plan("b"), token=world.master)
    assert created["plan"]["trialDays"] == 21
    explicit = await PLAN_CREATE.ok(gql, plan("c", trialDays=0), token=world.master)
    assert explicit["plan"]["trialDays"] == 0


async def test_cash_balance_feeds_the_runway(gql: GraphQL, world: World) -> None:
    data = await gql.ok(RUNWAY, token=world.master)
    assert data["metrics"]["predictions"]["runway"]["cashBalance"]["amount"] == 0
    await put(gql, world.master, "cashBalance", {"amount": 750_000, "currency": "USD"})
    data = await gql.ok(RUNWAY, token=world.master)
    runway = data["metrics"]["predictions"]["runway"]
    assert runway["cashBalance"] == {"amount": 750_000, "currency": "USD"}


async def test_log_writer_getters(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    assert await values.log_retention_days(db) == 30
    assert values.log_sample_rate(settings) == 1.0
    await put(gql, world.master, "logRetentionDays", 7)
    await put(gql, world.master, "logSampleRate", 0.25)
    assert await values.log_retention_days(db) == 7
    await values.refresh_log_settings(db)
    assert values.log_sample_rate(settings) == 0.25


async def test_signup_enabled_getter(gql: GraphQL, world: World, db: Database) -> None:
    assert await values.signup_enabled(db) is True
    await put(gql, world.master, "signupEnabled", False)
    assert await values.signup_enabled(db) is False
