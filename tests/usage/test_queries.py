"""Usage metrics declared; usage figures and the event stream, their ranges, scopes and
statement counts."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.models import MemberRole
from app.models.usage import NO_PROJECT, USAGE_METRICS, Aggregation, Granularity, UsageRollup
from app.usage import buckets
from tests.helpers import Factory, GraphQL, StatementCounter, World, gid
from tests.support import audit_events, rows
from tests.usage.support import USAGE_METRIC_CREATE, api_key, at, flush_all, metric, send

METRIC_INPUT = {"code": "api_calls", "name": "API calls", "unit": "requests", "aggregation": "SUM"}


async def test_usage_metric_create(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USAGE_METRIC_CREATE.ok(
        gql, {**METRIC_INPUT, "unitCostMicros": 25, "currency": "eur"}, token=world.master
    )
    assert payload["usageMetric"]["code"] == "api_calls"
    assert payload["usageMetric"]["currency"] == "EUR"
    assert payload["usageMetric"]["unitCostMicros"] == 25
    assert [e.action for e in await audit_events(db) if e.action.startswith("usage.")] == [
        "usage.metric_create"
    ]
    listed = await gql.ok("{ usageMetrics { code unit aggregation } }", token=world.owner_token)
    assert listed["usageMetrics"] == [
        {"code": "api_calls", "unit": "requests", "aggregation": "SUM"}
    ]


async def test_usage_metric_create_refusals(gql: GraphQL, world: World, db: Database) -> None:
    await USAGE_METRIC_CREATE.ok(gql, METRIC_INPUT, token=world.master)
    assert await USAGE_METRIC_CREATE.refused(gql, METRIC_INPUT, token=world.master) == [
        ("METRIC_CODE_TAKEN", ["input", "code"])
    ]
    bad = {**METRIC_INPUT, "code": "9 bad", "name": " ", "unitCostMicros": -1, "currency": "E"}
    assert sorted(await USAGE_METRIC_CREATE.refused(gql, bad, token=world.master)) == sorted(
        [
            ("INVALID", ["input", "code"]),
            ("REQUIRED", ["input", "name"]),
            ("INVALID", ["input", "unitCostMicros"]),
            ("INVALID", ["input", "currency"]),
        ]
    )


async def test_usage_metric_create_dry_run_replay_and_permission(
    gql: GraphQL, world: World, db: Database
) -> None:
    input = {**METRIC_INPUT, "code": "seats", "aggregation": "MAX"}
    await USAGE_METRIC_CREATE.ok(gql, input, token=world.master, dry_run=True)
    assert await rows(db, sa.select(USAGE_METRICS.c.id)) == []
    first = await USAGE_METRIC_CREATE.ok(gql, input, token=world.master, key="k-1")
    again = await USAGE_METRIC_CREATE.ok(gql, input, token=world.master, key="k-1")
    assert first == again
    assert len(await rows(db, sa.select(USAGE_METRICS.c.id))) == 1
    for token in (world.owner_token, world.admin_token):
        refused = await USAGE_METRIC_CREATE.send(gql, {**input, "code": "x"}, token=token)
        assert "FORBIDDEN" in refused.codes


async def _usage(gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient) -> str:
    """Known usage: own customer 2+3 calls yesterday, 5 today; other customer 7 today."""
    await metric(db, "calls")
    today = clock.now()
    yesterday = today - timedelta(days=1)
    own, other = await api_key(gql, world), await api_key(gql, world, world.other)
    await send(
        client,
        own,
        [
            {"metric": "calls", "quantity": 2, "timestamp": at(yesterday)},
            {"metric": "calls", "quantity": 3, "timestamp": at(yesterday)},
            {"metric": "calls", "quantity": 5},
        ],
    )
    await send(client, other, [{"metric": "calls", "quantity": 7}])
    await flush_all(db)
    return own


DAILY = "query($f: Date!, $t: Date!, $c: ID) { usageDaily(from: $f, to: $t, customerId: $c) { date metric quantity } }"


async def test_usage_daily_is_scoped_and_hand_checked(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await _usage(gql, world, db, client)
    today = clock.now().date()
    yesterday = today - timedelta(days=1)
    span = {"f": (today - timedelta(days=7)).isoformat(), "t": today.isoformat()}
    everything = await gql.ok(DAILY, span, token=world.master)
    assert everything["usageDaily"] == [
        {"date": yesterday.isoformat(), "metric": "calls", "quantity": 5},
        {"date": today.isoformat(), "metric": "calls", "quantity": 12},
    ]
    # A session admin of `own` sees its figures only, whatever it asks for.
    mine = await gql.ok(DAILY, span, token=world.owner_token)
    assert [d["quantity"] for d in mine["usageDaily"]] == [5, 5]
    theirs = await gql.ok(DAILY, {**span, "c": gid("cus", world.other)}, token=world.owner_token)
    assert theirs["usageDaily"] == []
    only_other = await gql.ok(DAILY, {**span, "c": gid("cus", world.other)}, token=world.master)
    assert only_other["usageDaily"] == [
        {"date": today.isoformat(), "metric": "calls", "quantity": 7}
    ]
    daily = await gql.ok(
        "query($c: ID!) { node(id: $c) { ... on Customer { daily { date quantity } } } }",
        {"c": gid("cus", world.own)},
        token=world.owner_token,
    )
    assert daily["node"]["daily"] == [
        {"date": d.isoformat(), "quantity": q}
        for d, q in ((yesterday, 5), (today, 5))
        if d.month == today.month
    ]
    my = await gql.ok(
        "query($f: Date) { myDaily(from: $f) { customerId days { date quantity } } }",
        {"f": yesterday.isoformat()},
        token=world.owner_token,
    )
    assert my["myDaily"] == [
        {
            "customerId": gid("cus", world.own),
            "days": [
                {"date": yesterday.isoformat(), "quantity": 5},
                {"date": today.isoformat(), "quantity": 5},
            ],
        }
    ]


async def test_ranges_are_validated(gql: GraphQL, world: World, db: Database) -> None:
    today = clock.now().date()
    reversed_ = await gql(
        DAILY,
        {"f": today.isoformat(), "t": (today - timedelta(days=1)).isoformat()},
        token=world.master,
    )
    assert reversed_.codes == ["RANGE_REVERSED"]
    long = await gql(
        DAILY,
        {"f": (today - timedelta(days=366)).isoformat(), "t": today.isoformat()},
        token=world.master,
    )
    assert long.codes == ["RANGE_TOO_LONG"]
    year = await gql(
        DAILY,
        {"f": (today - timedelta(days=365)).isoformat(), "t": today.isoformat()},
        token=world.master,
    )
    assert not year.errors


EVENTS = (
    "query($first: Int, $after: String, $filter: UsageEventFilter) { usageEvents(first: $first, "
    "after: $after, filter: $filter) { edges { cursor node { customerId quantity metric } } "
    "pageInfo { hasNextPage endCursor } } }"
)


async def test_usage_events_stream_and_scope(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await _usage(gql, world, db, client)
    first = (await gql.ok(EVENTS, {"first": 2}, token=world.master))["usageEvents"]
    assert [e["node"]["quantity"] for e in first["edges"]] == [2, 3]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.ok(
            EVENTS, {"first": 5, "after": first["pageInfo"]["endCursor"]}, token=world.master
        )
    )["usageEvents"]
    assert [e["node"]["quantity"] for e in rest["edges"]] == [5, 7]
    assert rest["pageInfo"]["hasNextPage"] is False
    # Following the stream: an empty page keeps the cursor.
    tail = (await gql.ok(EVENTS, {"after": rest["pageInfo"]["endCursor"]}, token=world.master))[
        "usageEvents"
    ]
    assert tail["edges"] == []
    assert tail["pageInfo"]["endCursor"] == rest["pageInfo"]["endCursor"]
    mine = (await gql.ok(EVENTS, {}, token=world.owner_token))["usageEvents"]
    assert {e["node"]["customerId"] for e in mine["edges"]} == {gid("cus", world.own)}
    today = clock.now().date().isoformat()
    filtered = (
        await gql.ok(
            EVENTS, {"filter": {"from": today, "to": today, "metric": "calls"}}, token=world.master
        )
    )["usageEvents"]
    assert [e["node"]["quantity"] for e in filtered["edges"]] == [5, 7]
    bad = await gql(EVENTS, {"after": "nope"}, token=world.master)
    assert bad.codes == ["INVALID_CURSOR"]
    anonymous = await gql(EVENTS, {})
    assert "UNAUTHENTICATED" in anonymous.codes


async def test_lists_run_constant_statements(
    gql: GraphQL,
    world: World,
    db: Database,
    client: httpx.AsyncClient,
    statements: StatementCounter,
    factory: Factory,
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    today = clock.now().date()
    span = {"f": (today - timedelta(days=30)).isoformat(), "t": today.isoformat()}
    measured = []
    for count in (2, 10):
        events = [
            {"metric": "calls", "quantity": 1, "timestamp": at(clock.now() - timedelta(days=i))}
            for i in range(count)
        ]
        await send(client, secret, events)
        await flush_all(db)
        counts = []
        for query, variables in ((EVENTS, {"first": 50}), (DAILY, span)):
            with statements.measure():
                await gql.ok(query, variables, token=world.master)
            counts.append(statements.count)
        with statements.measure():
            await send(client, secret, events)
        counts.append(statements.count)
        measured.append(counts)
    assert measured[0] == measured[1]


CUSTOMER_DAILY = """query($first: Int!) { customers(first: $first) {
  nodes { slug daily { date metric quantity } }
} }"""


async def test_customer_daily_runs_one_statement_per_page(
    gql: GraphQL, world: World, db: Database, statements: StatementCounter, factory: Factory
) -> None:
    calls = await metric(db, "calls")
    today = buckets.midnight(clock.now().date())
    for n in range(10):
        customer = await factory.customer(f"c-{n:02}", plan=world.plan)
        await factory._add(
            UsageRollup(
                granularity=Granularity.DAY,
                bucket_start=today,
                customer_id=customer.id,
                project_id=NO_PROJECT,
                metric_id=calls.id,
                quantity=n + 1,
                event_count=1,
            )
        )
    await gql.ok("{ __typename }", token=world.master)  # the credential's first use
    measured = []
    for first in (2, 10):
        with statements.measure():
            data = await gql.ok(CUSTOMER_DAILY, {"first": first}, token=world.master)
        measured.append(statements.count)
        nodes = {node["slug"]: node["daily"] for node in data["customers"]["nodes"]}
        assert len(nodes) == first
        for slug, days in nodes.items():
            expected = [] if not slug.startswith("c-") else [int(slug[2:]) + 1]
            assert [day["quantity"] for day in days] == expected
    assert measured[0] == measured[1]


USER_DAILY = """query($first: Int!) { users(first: $first) {
  nodes { email daily { date metric quantity } }
} }"""


async def test_user_daily_runs_one_statement_per_page(
    gql: GraphQL, world: World, db: Database, statements: StatementCounter, factory: Factory
) -> None:
    calls = await metric(db, "calls")
    seats = await metric(db, "seats", Aggregation.MAX)
    today = buckets.midnight(clock.now().date())
    expected: dict[str, list[tuple[str, int]]] = {}
    customers, users = [], []
    for n in range(10):
        customer = await factory.customer(f"c-{n:02}", plan=world.plan)
        customers.append(customer)
        user = await factory.user(f"u-{n:02}@example.com")
        users.append(user)
        await factory.member(customer, user)
        await factory._add(
            UsageRollup(
                granularity=Granularity.DAY,
                bucket_start=today,
                customer_id=customer.id,
                project_id=NO_PROJECT,
                metric_id=calls.id,
                quantity=n + 1,
                event_count=1,
            ),
            UsageRollup(
                granularity=Granularity.DAY,
                bucket_start=today,
                customer_id=customer.id,
                project_id=NO_PROJECT,
                metric_id=seats.id,
                quantity=10 * n,
                event_count=1,
            ),
        )
        expected[f"u-{n:02}@example.com"] = [("calls", n + 1), ("seats", 10 * n)]
    # u-03 is a member of c-04 too: calls 4 + 5 added, seats the larger level (MAX).
    await factory.member(customers[4], users[3], MemberRole.ADMIN)
    expected["u-03@example.com"] = [("calls", 9), ("seats", 40)]
    await gql.ok("{ __typename }", token=world.master)  # the credential's first use
    measured = []
    for first in (2, 10):
        with statements.measure():
            data = await gql.ok(USER_DAILY, {"first": first}, token=world.master)
        measured.append(statements.count)
        nodes = {node["email"]: node["daily"] for node in data["users"]["nodes"]}
        assert len(nodes) == first
        for email, days in nodes.items():
            assert [(d["metric"], d["quantity"]) for d in days] == expected.get(email, [])
            assert all(d["date"] == today.date().isoformat() for d in days)
    assert measured[0] == measured[1]
    everyone = await gql.ok(USER_DAILY, {"first": 50}, token=world.master)
    seen = {node["email"]: node["daily"] for node in everyone["users"]["nodes"]}
    assert [(d["metric"], d["quantity"]) for d in seen["u-03@example.com"]] == [
        ("calls", 9),
        ("seats", 40),
    ]
