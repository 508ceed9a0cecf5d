"""Costs: live from entries, modeled when a month has none, the cache and its drop; the cost
mutations (success, codes, dry run, replay, permissions) and the all-or-nothing CSV import."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.models.metrics import CostEntry
from tests.helpers import Factory, GraphQL, Mutation, World
from tests.metrics.support import books

COSTS = """
query($period: String) { metrics { costs(period: $period) {
  period source confidence fetchedAt cacheAgeMs fallbackReason total
  byCategory { category amount } byDay { date amount }
} } }"""
CREATE = Mutation("costEntryCreate", "costEntry { id incurredOn category amount planCode }")
IMPORT = Mutation("costEntriesImport", "imported costEntries { category amount planCode }")


def usd(amount: int) -> dict[str, object]:
    return {"amount": amount, "currency": "USD"}


async def test_live_costs_of_a_month(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await books(factory)
    costs = (await gql.ok(COSTS, {"period": "2026-10"}, token=master_token))["metrics"]["costs"]
    assert costs["source"] == "LIVE"
    assert costs["confidence"] == 1.0
    assert costs["fallbackReason"] is None
    assert costs["total"] == usd(800)
    assert costs["byCategory"] == [
        {"category": "email", "amount": usd(100)},
        {"category": "hosting", "amount": usd(700)},  # 400 + 300
    ]
    assert costs["byDay"] == [
        {"date": "2026-10-01", "amount": usd(400)},
        {"date": "2026-10-15", "amount": usd(400)},  # 300 hosting + 100 email
    ]


async def test_a_month_without_entries_is_modeled(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    costs = (await gql.ok(COSTS, {"period": "2025-02"}, token=master_token))["metrics"]["costs"]
    assert costs["source"] == "MODELED"
    assert costs["total"] == usd(0)
    assert costs["confidence"] == 0.0  # no usage rolled up to model from
    assert "no usage" in costs["fallbackReason"]


async def test_cached_until_a_cost_entry_is_written(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    first = (await gql.ok(COSTS, {"period": "2024-03"}, token=master_token))["metrics"]["costs"]
    assert first["source"] == "MODELED"
    # Written behind the service's back: the cache does not know, and answers as before.
    await factory._add(CostEntry(incurred_on=date(2024, 3, 2), category="hosting", amount=5))
    cached = (await gql.ok(COSTS, {"period": "2024-03"}, token=master_token))["metrics"]["costs"]
    assert cached["source"] == "MODELED"
    assert cached["fetchedAt"] == first["fetchedAt"]
    assert cached["cacheAgeMs"] >= first["cacheAgeMs"]
    # Written through costEntryCreate: the cache is dropped, both entries show.
    await CREATE.ok(
        gql,
        {"incurredOn": "2024-03-03", "category": "Email", "amount": 7},
        token=master_token,
    )
    fresh = (await gql.ok(COSTS, {"period": "2024-03"}, token=master_token))["metrics"]["costs"]
    assert fresh["source"] == "LIVE"
    assert fresh["total"] == usd(12)
    assert fresh["cacheAgeMs"] < 60_000


async def test_create(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await factory.plan("basic")
    payload = await CREATE.ok(
        gql,
        {"incurredOn": "2026-10-02", "category": " Hosting ", "amount": 1234, "planCode": "basic"},
        token=master_token,
    )
    assert payload["costEntry"]["category"] == "hosting"
    assert payload["costEntry"]["amount"] == usd(1234)
    assert payload["costEntry"]["planCode"] == "basic"
    assert await factory.count(CostEntry) == 1


async def test_create_refusals(gql: GraphQL, master_token: str) -> None:
    base = {"incurredOn": "2026-10-02", "category": "hosting", "amount": 1}
    cases = [
        ({"amount": -1}, ("INVALID", ["input", "amount"])),
        ({"currency": "US"}, ("INVALID", ["input", "currency"])),
        ({"category": "  "}, ("REQUIRED", ["input", "category"])),
        ({"category": "x" * 65}, ("TOO_LONG", ["input", "category"])),
        ({"planCode": "nope"}, ("NOT_FOUND", ["input", "planCode"])),
    ]
    for change, expected in cases:
        assert await CREATE.refused(gql, {**base, **change}, token=master_token) == [expected]


async def test_dry_run_and_replay(gql: GraphQL, factory: Factory, master_token: str) -> None:
    given = {"incurredOn": "2026-10-02", "category": "hosting", "amount": 1}
    await CREATE.ok(gql, given, token=master_token, dry_run=True)
    assert await factory.count(CostEntry) == 0
    first = await CREATE.ok(gql, given, token=master_token, key="cost-1")
    again = await CREATE.ok(gql, given, token=master_token, key="cost-1")
    assert again == first
    assert await factory.count(CostEntry) == 1


async def test_only_a_master_records_costs(gql: GraphQL, world: World, factory: Factory) -> None:
    given = {"incurredOn": "2026-10-02", "category": "hosting", "amount": 1}
    response = await CREATE.send(gql, given, token=world.owner_token)
    assert response.data is None or response.data.get("costEntryCreate") is None
    assert "FORBIDDEN" in response.codes
    await CREATE.ok(gql, given, token=world.staff_token)
    assert await factory.count(CostEntry) == 1


async def test_import_all_rows(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await factory.plan("basic")
    csv = (
        "date,category,amount,currency,description,plan\r\n"
        '2026-10-01,hosting,100,USD,"Servers, October",basic\r\n'
        "2026-10-02,email,20,usd,,\r\n"
    )
    payload = await IMPORT.ok(gql, {"csv": csv}, token=master_token)
    assert payload["imported"] == 2
    assert payload["costEntries"] == [
        {"category": "hosting", "amount": usd(100), "planCode": "basic"},
        {"category": "email", "amount": usd(20), "planCode": None},
    ]
    async with factory.db.write_session() as session:
        described = await session.scalar(
            sa.select(CostEntry.description).where(CostEntry.category == "hosting")  # type: ignore[arg-type]
        )
    assert described == "Servers, October"


async def test_import_is_all_or_nothing(gql: GraphQL, factory: Factory, master_token: str) -> None:
    csv = (
        "date,category,amount,currency\n"
        "2026-10-01,hosting,100,USD\n"
        "2026-13-01,hosting,100,USD\n"
        "2026-10-03,hosting,ten,USD\n"
        "2026-10-04,,5,USD\n"
        "2026-10-05,hosting,5,US\n"
    )
    found = await IMPORT.refused(gql, {"csv": csv}, token=master_token)
    assert found == [
        ("INVALID", ["input", "rows", "2", "date"]),
        ("INVALID", ["input", "rows", "3", "amount"]),
        ("REQUIRED", ["input", "rows", "4", "category"]),
        ("INVALID", ["input", "rows", "5", "currency"]),
    ]
    assert await factory.count(CostEntry) == 0
    header = await IMPORT.refused(gql, {"csv": "day,amount\n1,2\n"}, token=master_token)
    assert header == [("INVALID", ["input", "csv"])]
    empty = await IMPORT.refused(
        gql, {"csv": "date,category,amount,currency\n"}, token=master_token
    )
    assert empty == [("REQUIRED", ["input", "csv"])]
    plan = await IMPORT.refused(
        gql,
        {"csv": "date,category,amount,currency,plan\n2026-10-01,x,1,USD,nope\n"},
        token=master_token,
    )
    assert plan == [("NOT_FOUND", ["input", "rows", "1", "plan"])]


async def test_unreadable_csv(gql: GraphQL, master_token: str) -> None:
    huge = "date,category,amount,currency\n" + '"' + "x" * 200_000 + '",a,1,USD\n'
    assert await IMPORT.refused(gql, {"csv": huge}, token=master_token) == [
        ("INVALID", ["input", "csv"])
    ]
