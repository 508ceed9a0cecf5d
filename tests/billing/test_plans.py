"""Plans: the catalog queries, create, update (versioning), clone, archive, unarchive."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from tests.billing import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid

PLAN = (
    "plan { code name description price interval trialDays status version features "
    "limits { monthlyQuota ratePerSecond seats slaPercent } versions { version price } "
    "subscribersCount mrr }"
)
PLAN_CREATE = Mutation("planCreate", PLAN)
PLAN_UPDATE = Mutation("planUpdate", PLAN)
PLAN_CLONE = Mutation("planClone", PLAN)
PLAN_ARCHIVE = Mutation("planArchive", "plan { code status archivedAt }")
PLAN_UNARCHIVE = Mutation("planUnarchive", "plan { code status archivedAt }")


def new_plan(**fields: Any) -> dict[str, Any]:
    return {
        "code": "team",
        "name": "Team",
        "interval": "MONTH",
        "amount": 4900,
        "currency": "usd",
        "trialDays": 14,
        "limits": {"monthlyQuota": 500000, "ratePerSecond": 50, "slaPercent": "99.9"},
        "features": {"sso": False},
        **fields,
    }


async def test_create(gql: GraphQL, world: World, db: Database) -> None:
    payload = await PLAN_CREATE.ok(gql, new_plan(code=" Team "), token=world.master)
    assert payload["plan"] == {
        "code": "team",
        "name": "Team",
        "description": "",
        "price": {"amount": 4900, "currency": "USD"},
        "interval": "MONTH",
        "trialDays": 14,
        "status": "ACTIVE",
        "version": 1,
        "features": {"sso": False},
        "limits": {
            "monthlyQuota": 500000,
            "ratePerSecond": 50,
            "seats": None,
            "slaPercent": "99.900",
        },
        "versions": [{"version": 1, "price": {"amount": 4900, "currency": "USD"}}],
        "subscribersCount": 0,
        "mrr": {"amount": 0, "currency": "USD"},
    }
    [event] = await support.events(db, "plan.create")
    assert event.diff["code"] == {"before": None, "after": "team"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code": "pro"}, ("CONFLICT", ["input", "code"])),
        ({"code": "-bad-"}, ("INVALID", ["input", "code"])),
        ({"amount": -1}, ("INVALID", ["input", "amount"])),
        ({"currency": "dollars"}, ("INVALID", ["input", "currency"])),
        ({"trialDays": 1000}, ("INVALID", ["input", "trialDays"])),
        ({"name": " "}, ("REQUIRED", ["input", "name"])),
        ({"limits": {"seats": -3}}, ("INVALID", ["input", "limits", "seats"])),
        ({"limits": {"slaPercent": "101"}}, ("INVALID", ["input", "limits", "slaPercent"])),
        ({"features": [1, 2]}, ("INVALID", ["input", "features"])),
    ],
    ids=[
        "code-taken",
        "bad-code",
        "negative-amount",
        "bad-currency",
        "long-trial",
        "blank-name",
        "negative-limit",
        "sla-over-100",
        "features-not-an-object",
    ],
)
async def test_create_refusals(
    gql: GraphQL, world: World, change: dict[str, Any], error: tuple[str, list[str]]
) -> None:
    assert await PLAN_CREATE.refused(gql, new_plan(**change), token=world.master) == [error]


async def test_plan_mutations_are_master_only(gql: GraphQL, world: World, db: Database) -> None:
    before = await support.counts(db)
    for token in (world.owner_token, world.staff_token, world.member_token):
        response = await PLAN_CREATE.send(gql, new_plan(), token=token)
        if token == world.staff_token:
            # A staff user on the allowlist is a master.
            assert response.data["planCreate"]["userErrors"] == []
            continue
        assert response.codes == ["FORBIDDEN"], response.body
    response = await PLAN_ARCHIVE.send(gql, {"code": "pro"}, token=world.owner_token)
    assert response.codes == ["FORBIDDEN"]
    assert (await support.counts(db))["plans"] == before["plans"] + 1


async def test_dry_run_writes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    before = await support.snapshot(db)
    payload = await PLAN_CREATE.ok(gql, new_plan(), token=world.master, dry_run=True)
    assert payload["plan"]["code"] == "team"
    await PLAN_UPDATE.ok(gql, {"code": "pro", "amount": 1}, token=world.master, dry_run=True)
    await PLAN_ARCHIVE.ok(gql, {"code": "pro"}, token=world.master, dry_run=True)
    assert await support.snapshot(db) == before


async def test_idempotent_replay(gql: GraphQL, world: World, db: Database) -> None:
    first = await PLAN_CREATE.send(gql, new_plan(), token=world.master, key="plan-1")
    again = await PLAN_CREATE.send(gql, new_plan(), token=world.master, key="plan-1")
    assert again.data == first.data
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(await support.events(db, "plan.create")) == 1
    other = await PLAN_CREATE.refused(gql, new_plan(name="Other"), token=world.master, key="plan-1")
    assert other == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]


async def test_price_or_limits_make_a_version_other_edits_do_not(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    customer = await factory.customer("subscribed", plan=world.plan)
    payload = await PLAN_UPDATE.ok(
        gql, {"code": "pro", "name": "Pro+", "features": {"sso": True}}, token=world.master
    )
    assert (payload["plan"]["version"], payload["plan"]["name"]) == (1, "Pro+")
    payload = await PLAN_UPDATE.ok(
        gql, {"code": "pro", "amount": 12900, "limits": {"seats": 10}}, token=world.master
    )
    assert payload["plan"]["version"] == 2
    assert payload["plan"]["limits"]["seats"] == 10
    assert [v["version"] for v in payload["plan"]["versions"]] == [1, 2]
    query = "query($id: ID!) { customer(id: $id) { subscription { planVersion price } } }"
    data = await gql.ok(query, {"id": gid("cus", customer)}, token=world.master)
    assert data["customer"]["subscription"] == {
        "planVersion": 1,
        "price": {"amount": 9900, "currency": "USD"},
    }
    assert len(await support.events(db, "plan.update")) == 2


async def test_update_refusals(gql: GraphQL, world: World) -> None:
    found = await PLAN_UPDATE.refused(gql, {"code": "gold", "name": "X"}, token=world.master)
    assert found == [("NOT_FOUND", ["input", "code"])]
    found = await PLAN_UPDATE.refused(gql, {"code": "pro", "amount": -5}, token=world.master)
    assert found == [("INVALID", ["input", "amount"])]


async def test_an_update_changing_nothing_writes_no_event(
    gql: GraphQL, world: World, db: Database
) -> None:
    await PLAN_UPDATE.ok(gql, {"code": "pro", "amount": 9900}, token=world.master)
    assert await support.events(db, "plan.update") == []


async def test_clone(gql: GraphQL, world: World) -> None:
    payload = await PLAN_CLONE.ok(
        gql, {"code": "pro", "newCode": "pro-2027", "name": "Pro 2027"}, token=world.master
    )
    assert payload["plan"]["code"] == "pro-2027"
    assert payload["plan"]["name"] == "Pro 2027"
    assert payload["plan"]["price"] == {"amount": 9900, "currency": "USD"}
    assert payload["plan"]["version"] == 1
    found = await PLAN_CLONE.refused(gql, {"code": "pro", "newCode": "pro"}, token=world.master)
    assert found == [("CONFLICT", ["input", "newCode"])]
    found = await PLAN_CLONE.refused(gql, {"code": "nope", "newCode": "x"}, token=world.master)
    assert found == [("NOT_FOUND", ["input", "code"])]


async def test_archive_and_unarchive(gql: GraphQL, world: World, db: Database) -> None:
    payload = await PLAN_ARCHIVE.ok(gql, {"code": "pro"}, token=world.master)
    assert payload["plan"]["status"] == "ARCHIVED"
    assert payload["plan"]["archivedAt"] is not None
    again = await PLAN_ARCHIVE.refused(gql, {"code": "pro"}, token=world.master)
    assert again == [("INVALID_STATE", ["input", "code"])]
    listed = await gql.ok("{ plans { nodes { code } } }", token=world.owner_token)
    assert listed["plans"]["nodes"] == []
    archived = await gql.ok(
        "{ plans(filter: {status: ARCHIVED}) { nodes { code } } }", token=world.owner_token
    )
    assert archived["plans"]["nodes"] == [{"code": "pro"}]
    payload = await PLAN_UNARCHIVE.ok(gql, {"code": "pro"}, token=world.master)
    assert (payload["plan"]["status"], payload["plan"]["archivedAt"]) == ("ACTIVE", None)
    again = await PLAN_UNARCHIVE.refused(gql, {"code": "pro"}, token=world.master)
    assert again == [("INVALID_STATE", ["input", "code"])]
    assert len(await support.events(db, "plan.archive")) == 1


async def test_any_signed_in_caller_reads_the_catalog(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.plan("team", name="Team", price_amount=100)
    query = '{ plans(filter: {search: "tea"}) { totalCount nodes { code } } plan(code: "PRO") { name } }'
    data = await gql.ok(query, token=world.owner_token)
    assert data == {
        "plans": {"totalCount": 1, "nodes": [{"code": "team"}]},
        "plan": {"name": "Pro"},
    }
    response = await gql("{ plans { totalCount } }")
    assert response.status == 401


async def test_plan_mrr_and_subscribers(gql: GraphQL, world: World, factory: Factory) -> None:
    yearly = await factory.plan("annual", price_amount=120_001, interval="YEAR")
    for n in range(3):
        await factory.customer(f"yearly-{n}", plan=yearly)
    query = '{ plan(code: "annual") { subscribersCount mrr } pro: plan(code: "pro") { mrr } }'
    data = await gql.ok(query, token=world.master)
    # 3 × 120,001 / 12 = 30,000.25 → 30,000; `pro` has own-co and other-co at 9,900.
    assert data["plan"] == {"subscribersCount": 3, "mrr": {"amount": 30000, "currency": "USD"}}
    assert data["pro"]["mrr"] == {"amount": 19800, "currency": "USD"}
