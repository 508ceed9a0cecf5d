"""The usage figures of the metrics, from known rollups: usage this period, usage against
quota, costs modeled from usage × unit costs, and the peak request rate of the predictions.
Every expectation is worked out by hand beside it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from app.kit import clock
from app.models.metrics import CostEntry
from app.models.usage import NO_PROJECT, Aggregation, Granularity, UsageMetric, UsageRollup
from app.usage import buckets
from tests.helpers import Factory, GraphQL, World
from tests.metrics.support import invoice

DAY, HOUR = Granularity.DAY, Granularity.HOUR
P1 = uuid.UUID(int=1)


def usd(amount: int) -> dict[str, object]:
    return {"amount": amount, "currency": "USD"}


def march(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


async def _metrics(factory: Factory) -> dict[str, UsageMetric]:
    found = {
        # 2,000 minor units per million calls; 0.25 per stored unit and day; no price; in EUR.
        "calls": UsageMetric(
            code="calls", name="Calls", unit="requests", aggregation=Aggregation.SUM,
            unit_cost_micros=2000,
        ),
        "storage": UsageMetric(
            code="storage", name="Storage", unit="GB", aggregation=Aggregation.MAX,
            unit_cost_micros=250_000,
        ),
        "users": UsageMetric(
            code="users", name="Users", unit="users", aggregation=Aggregation.UNIQUE_COUNT
        ),
        "sms": UsageMetric(
            code="sms", name="SMS", unit="messages", aggregation=Aggregation.SUM,
            unit_cost_micros=5_000_000, currency="EUR",
        ),
    }  # fmt: skip
    await factory._add(*found.values())
    return found


def rollup(
    granularity: Granularity,
    at: datetime,
    customer: object,
    metric: UsageMetric,
    quantity: int,
    events: int,
    project: uuid.UUID = NO_PROJECT,
) -> UsageRollup:
    return UsageRollup(
        granularity=granularity,
        bucket_start=at,
        customer_id=customer.id,  # type: ignore[attr-defined]
        project_id=project,
        metric_id=metric.id,
        quantity=quantity,
        event_count=events,
    )


async def _march(factory: Factory, world: World) -> None:
    m = await _metrics(factory)
    own, other = world.own, world.other
    await factory._add(
        rollup(DAY, march(1), own, m["calls"], 1_500_000, 300),
        rollup(DAY, march(1), own, m["calls"], 500_000, 100, project=P1),
        rollup(DAY, march(2), own, m["calls"], 250_000, 50),
        rollup(DAY, march(2), own, m["storage"], 40, 4),
        rollup(DAY, march(2), own, m["users"], 6, 9),
        rollup(DAY, march(2), other, m["calls"], 1_000_001, 7),
        rollup(DAY, march(31), other, m["storage"], 10, 1),
        rollup(DAY, march(5), other, m["sms"], 3, 3),
        # Outside March, and an hourly rollup (the same events as a daily one): not counted.
        rollup(DAY, datetime(2025, 2, 28, tzinfo=UTC), own, m["calls"], 9_000_000, 900),
        rollup(DAY, datetime(2025, 4, 1, tzinfo=UTC), other, m["calls"], 9_000_000, 999),
        rollup(HOUR, march(1, 10), own, m["calls"], 1_500_000, 300),
    )


async def test_usage_this_period(gql: GraphQL, world: World, factory: Factory) -> None:
    await _march(factory, world)
    query = "query($p: String) { metrics { overview(period: $p) { usageThisPeriod } } }"
    data = await gql.ok(query, {"p": "2025-03"}, token=world.master)
    # Events of March's daily rollups: own 300 + 100 + 50 + 4 + 9, other 7 + 1 + 3.
    assert data["metrics"]["overview"]["usageThisPeriod"] == 474
    data = await gql.ok(query, {"p": "2025-03-02..2025-03-02"}, token=world.master)
    assert data["metrics"]["overview"]["usageThisPeriod"] == 50 + 4 + 9 + 7
    data = await gql.ok(query, {"p": "2025-01"}, token=world.master)
    assert data["metrics"]["overview"]["usageThisPeriod"] == 0


COSTS = """query($p: String) { metrics { costs(period: $p) {
  source confidence fallbackReason total
  byCategory { category amount } byDay { date amount }
} } }"""


async def test_costs_modeled_from_usage(gql: GraphQL, world: World, factory: Factory) -> None:
    await _march(factory, world)
    costs = (await gql.ok(COSTS, {"p": "2025-03"}, token=world.master))["metrics"]["costs"]
    assert costs["source"] == "MODELED"
    assert costs["confidence"] == 0.5
    assert "modeled from usage" in costs["fallbackReason"]
    # calls, Mar 1: (1,500,000 + 500,000) × 2,000 / 10⁶ = 4,000
    # calls, Mar 2: (250,000 + 1,000,001) × 2,000 / 10⁶ = 2,500.002 → 2,500
    # storage (MAX, by the day), Mar 2: 40 × 0.25 = 10; Mar 31: 10 × 0.25 = 2.5 → 3 (half up)
    # users: no unit cost; sms: priced in EUR, not in these USD costs.
    assert costs["byCategory"] == [
        {"category": "calls", "amount": usd(6500)},
        {"category": "storage", "amount": usd(13)},
    ]
    assert costs["byDay"] == [
        {"date": "2025-03-01", "amount": usd(4000)},
        {"date": "2025-03-02", "amount": usd(2510)},
        {"date": "2025-03-31", "amount": usd(3)},
    ]
    assert costs["total"] == usd(6513)
    # February: 9,000,000 calls × 2,000 / 10⁶; January: no usage to model from.
    february = (await gql.ok(COSTS, {"p": "2025-02"}, token=world.master))["metrics"]["costs"]
    assert february["total"] == usd(18_000)
    empty = (await gql.ok(COSTS, {"p": "2025-01"}, token=world.master))["metrics"]["costs"]
    assert (empty["source"], empty["total"], empty["confidence"]) == ("MODELED", usd(0), 0)


MY = "{ myOverview { customers { slug usageThisMonth } } }"


async def test_usage_against_quota(gql: GraphQL, world: World, factory: Factory) -> None:
    m = await _metrics(factory)
    start = buckets.month_start(clock.now())
    await factory._add(
        rollup(DAY, start, world.own, m["calls"], 120, 12),
        rollup(DAY, start, world.own, m["storage"], 5, 30, project=P1),
        rollup(DAY, start - timedelta(days=1), world.own, m["calls"], 1000, 1000),
        rollup(HOUR, start, world.own, m["calls"], 120, 12),
        rollup(DAY, start, world.other, m["calls"], 99, 99),
    )
    mine = (await gql.ok(MY, token=world.owner_token))["myOverview"]["customers"]
    # This month's events of the own customer's daily rollups: 12 + 30 (last month's aside).
    assert mine == [{"slug": "own-co", "usageThisMonth": 42}]


PEAK = """{ metrics { predictions { rateLimitHeadroom {
  planLimitTotal peakRequestsPerSecond headroom
} } } }"""


async def test_peak_requests_per_second(gql: GraphQL, world: World, factory: Factory) -> None:
    m = await _metrics(factory)
    hour = clock.now().replace(minute=0, second=0, microsecond=0)
    busy, quiet, old = hour - timedelta(days=2), hour - timedelta(days=1), hour - timedelta(days=95)
    none = await gql.ok(PEAK, token=world.master)
    assert none["metrics"]["predictions"]["rateLimitHeadroom"]["peakRequestsPerSecond"] is None
    await factory._add(
        rollup(HOUR, busy, world.own, m["calls"], 1, 3600),
        rollup(HOUR, busy, world.own, m["users"], 1, 900, project=P1),
        rollup(HOUR, busy, world.other, m["calls"], 1, 900),
        rollup(HOUR, quiet, world.own, m["calls"], 1, 5000),
        rollup(HOUR, old, world.own, m["calls"], 1, 36_000),  # before the 90-day window
        rollup(DAY, quiet, world.own, m["calls"], 1, 99_000),  # a day, not an hour
    )
    found = (await gql.ok(PEAK, token=world.master))["metrics"]["predictions"]
    # The busiest hour in the window: 3,600 + 900 + 900 events (every customer) / 3,600 s.
    assert found["rateLimitHeadroom"] == {
        "planLimitTotal": 0,  # pro has no rate limit
        "peakRequestsPerSecond": 1.5,
        "headroom": -1.5,
    }


BANDWIDTH = """query($from: Date, $to: Date) {
  metrics { bandwidthDaily(from: $from, to: $to) { date bytes } }
}"""


async def test_bandwidth_daily(gql: GraphQL, world: World, factory: Factory) -> None:
    m = await _metrics(factory)
    egress = UsageMetric(code="egress", name="Egress", unit="bytes", aggregation=Aggregation.SUM)
    ingress = UsageMetric(code="ingress", name="Ingress", unit="B", aggregation=Aggregation.SUM)
    disk = UsageMetric(code="disk", name="Disk", unit="bytes", aggregation=Aggregation.MAX)
    await factory._add(egress, ingress, disk)
    await factory._add(
        rollup(DAY, march(1), world.own, egress, 3_000_000_000, 3),
        rollup(DAY, march(1), world.own, egress, 500, 1, project=P1),
        rollup(DAY, march(1), world.other, ingress, 1_200, 2),
        rollup(DAY, march(3), world.other, egress, 7, 1),
        rollup(DAY, march(1), world.own, disk, 9_000, 1),  # a level, not traffic
        rollup(DAY, march(1), world.own, m["calls"], 40, 40),  # requests, not bytes
        rollup(HOUR, march(1, 5), world.own, egress, 3_000_000_000, 3),  # hours aside
        rollup(DAY, march(4), world.own, egress, 11, 1),  # after the range
    )
    data = await gql.ok(BANDWIDTH, {"from": "2025-03-01", "to": "2025-03-03"}, token=world.master)
    # Mar 1: 3,000,000,000 + 500 (egress, both projects) + 1,200 (ingress, in `B`) bytes.
    assert data["metrics"]["bandwidthDaily"] == [
        {"date": "2025-03-01", "bytes": 3_000_001_700},
        {"date": "2025-03-02", "bytes": 0},
        {"date": "2025-03-03", "bytes": 7},
    ]
    for variables, code in (
        ({"from": "2025-03-02", "to": "2025-03-01"}, "RANGE_REVERSED"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "RANGE_TOO_LONG"),
    ):
        assert (await gql(BANDWIDTH, variables, token=world.master)).codes == [code]
    this_month = (await gql.ok(BANDWIDTH, token=world.master))["metrics"]["bandwidthDaily"]
    first = clock.now().date().replace(day=1)
    assert this_month[0] == {"date": first.isoformat(), "bytes": 0}
    assert all(day["date"][:7] == first.isoformat()[:7] for day in this_month)
    refused = await gql(BANDWIDTH, token=world.owner_token)
    assert refused.codes == ["FORBIDDEN"]


MARGIN = """query($from: Date, $to: Date) { metrics { revenue(from: $from, to: $to) {
  revenue costs costsSource grossMargin grossMarginPercent
} } }"""


async def test_gross_margin_from_the_cost_model(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await _march(factory, world)
    await invoice(factory, world.own, None, total=12_000, tax=2_000, paid_at=march(10, 9))
    query = {"from": "2025-03-01", "to": "2025-03-31"}
    modeled = (await gql.ok(MARGIN, query, token=world.master))["metrics"]["revenue"]
    # No cost entries in March: the modeled 6,513 (see test_costs_modeled_from_usage) against
    # revenue 12,000 − 2,000 tax = 10,000: margin 3,487, 34.87 %.
    assert modeled == {
        "revenue": usd(10_000),
        "costs": usd(6513),
        "costsSource": "MODELED",
        "grossMargin": usd(3487),
        "grossMarginPercent": 34.87,
    }
    # Mar 1–2 only: calls 4,000 + 2,500 and storage 10 (Mar 31's 3 is outside); no revenue.
    early = await gql.ok(MARGIN, {"from": "2025-03-01", "to": "2025-03-02"}, token=world.master)
    assert early["metrics"]["revenue"]["costs"] == usd(6510)
    assert early["metrics"]["revenue"]["grossMargin"] == usd(-6510)
    assert early["metrics"]["revenue"]["grossMarginPercent"] is None
    # One cost entry in the range and the live figures replace the model's.
    await factory._add(CostEntry(incurred_on=date(2025, 3, 20), category="hosting", amount=900))
    live = (await gql.ok(MARGIN, query, token=world.master))["metrics"]["revenue"]
    assert (live["costs"], live["costsSource"], live["grossMargin"]) == (
        usd(900),
        "LIVE",
        usd(9100),
    )
    assert live["grossMarginPercent"] == 91.0
