"""Ranges and their codes, who may see what (master metrics, a session admin's own overview),
predictions, and the subscription history the subscriptions service writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.kit import clock
from app.metrics import predictions
from app.models.invoices import Invoice, InvoiceStatus
from app.models.keys import ApiKey
from app.models.licenses import License, SigningKey
from app.models.metrics import CostEntry, SubscriptionChange
from tests.helpers import Factory, GraphQL, Mutation, World, gid

REVENUE = "query($from: Date, $to: Date) { metrics { revenue(from: $from, to: $to) { startDate endDate } } }"
OVERVIEW = "query($p: String) { metrics { overview(period: $p) { startDate endDate } } }"
COSTS = "query($p: String) { metrics { costs(period: $p) { period } } }"
FUNNEL = "query($from: Date, $to: Date) { metrics { funnel(from: $from, to: $to) { current { startDate } } } }"


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"from": "2026-10-02", "to": "2026-10-01"}, "RANGE_REVERSED"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "RANGE_TOO_LONG"),  # 367 days
    ],
)
async def test_ranges_are_checked(
    gql: GraphQL, master_token: str, variables: dict[str, str], code: str
) -> None:
    for document in (REVENUE, FUNNEL):
        response = await gql(document, variables, token=master_token)
        assert response.codes == [code]


async def test_periods_are_checked(gql: GraphQL, master_token: str) -> None:
    for bad, code in (
        ("2026-13", "INVALID"),
        ("october", "INVALID"),
        ("2026-10-xx..2026-10-09", "INVALID"),
        ("2026-10-05..2026-10-01", "RANGE_REVERSED"),
        ("2025-01-01..2026-01-02", "RANGE_TOO_LONG"),
    ):
        response = await gql(OVERVIEW, {"p": bad}, token=master_token)
        assert response.codes == [code], bad
    assert (await gql(COSTS, {"p": "2026-1"}, token=master_token)).codes == ["INVALID"]
    ok = await gql.ok(REVENUE, {"from": "2025-01-01", "to": "2026-01-01"}, token=master_token)
    assert ok["metrics"]["revenue"]["endDate"] == "2026-01-01"  # 366 days is allowed
    days = await gql.ok(OVERVIEW, {"p": "2026-10-05..2026-10-09"}, token=master_token)
    assert days["metrics"]["overview"] == {"startDate": "2026-10-05", "endDate": "2026-10-09"}


async def test_everything_defaults_to_this_month(gql: GraphQL, master_token: str) -> None:
    today = clock.now().date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    data = await gql.ok(
        "{ metrics { overview { startDate endDate } revenue { startDate endDate }"
        " costs { period } funnel { current { startDate endDate } } } }",
        token=master_token,
    )
    span = {"startDate": first.isoformat(), "endDate": last.isoformat()}
    assert data["metrics"]["overview"] == span
    assert data["metrics"]["revenue"] == span
    assert data["metrics"]["funnel"]["current"] == span
    assert data["metrics"]["costs"]["period"] == first.isoformat()[:7]
    with clock.travel(timedelta(days=40)):
        later = await gql.ok("{ metrics { overview { startDate } } }", token=master_token)
    assert later["metrics"]["overview"]["startDate"] != first.isoformat()


async def test_metrics_are_for_masters_only(gql: GraphQL, world: World) -> None:
    for token in (world.owner_token, world.admin_token, world.member_token):
        response = await gql("{ metrics { overview { usersTotal } } }", token=token)
        assert response.codes == ["FORBIDDEN"]
        assert response.data == {"metrics": None}
        url = await gql("{ exportUrl(kind: REVENUE) }", token=token)
        assert url.codes == ["FORBIDDEN"]
    assert (await gql("{ metrics { overview { usersTotal } } }")).status == 401
    staff = await gql.ok("{ metrics { overview { usersTotal } } }", token=world.staff_token)
    assert staff["metrics"]["overview"]["usersTotal"] == 5


MY = """{ myOverview { customers {
  slug activeKeys members openInvoices amountDue usageThisMonth monthlyQuota licenses
} } }"""


def _license(key: SigningKey, customer: object, hint: str, **fields: object) -> License:
    return License(
        customer_id=customer.id,  # type: ignore[attr-defined]
        signing_key_id=key.id,
        key_hash=hint * 64,
        key_hint=hint,
        **fields,
    )


async def test_my_overview_shows_own_customers_only(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory._add(
        ApiKey(
            customer_id=world.own.id,
            name="k",
            key_hash="a" * 64,
            start="ak_live_x",
            environment="LIVE",
            scopes=[],
        ),
        ApiKey(
            customer_id=world.other.id,
            name="k",
            key_hash="b" * 64,
            start="ak_live_y",
            environment="LIVE",
            scopes=[],
        ),
        Invoice(customer_id=world.own.id, status=InvoiceStatus.OPEN, total=500, amount_due=450),
        Invoice(customer_id=world.own.id, status=InvoiceStatus.PAID, total=500),
        Invoice(customer_id=world.other.id, status=InvoiceStatus.OPEN, total=900, amount_due=900),
    )
    key = SigningKey(kid="k1", public_key="x", private_key_encrypted="y")
    await factory._add(key)
    await factory._add(
        _license(key, world.own, "a"),
        _license(key, world.own, "b", suspended_at=clock.now()),
        _license(key, world.own, "c", revoked_at=clock.now()),
        _license(key, world.other, "d"),
    )
    mine = await gql.ok(MY, token=world.owner_token)
    assert mine["myOverview"]["customers"] == [
        {
            "slug": "own-co",
            "activeKeys": 1,
            "members": 3,  # owner, admin, member
            "openInvoices": 1,
            "amountDue": {"amount": 450, "currency": "USD"},
            "usageThisMonth": 0,  # no usage rolled up
            "monthlyQuota": None,
            "licenses": 2,  # the active and the suspended one; the revoked one is gone
        }
    ]
    theirs = await gql.ok(MY, token=world.admin_token)
    assert [row["slug"] for row in theirs["myOverview"]["customers"]] == ["own-co"]
    # A plain member administers nothing; a master has no customers of their own.
    assert (await gql.ok(MY, token=world.member_token))["myOverview"]["customers"] == []
    assert (await gql.ok(MY, token=world.master))["myOverview"]["customers"] == []


CANCEL = Mutation("subscriptionCancel", "subscription { status }")


async def test_the_subscriptions_service_writes_the_history(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    own = gid("cus", world.own)
    await CANCEL.ok(gql, {"customerId": own, "atPeriodEnd": False}, token=world.master)
    assert await factory.count(SubscriptionChange) == 1
    async with factory.db.write_session() as session:
        import sqlalchemy as sa

        row = (await session.execute(sa.select(SubscriptionChange))).scalar_one()
    assert (row.status_before, row.status_after) == ("ACTIVE", "CANCELED")
    assert (row.mrr_before, row.mrr_after) == (9900, 0)
    today = clock.now().date().isoformat()
    data = await gql.ok(
        "query($d: Date) { metrics { revenue(from: $d, to: $d) { movements { churned } } } }",
        {"d": today},
        token=world.master,
    )
    assert data["metrics"]["revenue"]["movements"]["churned"]["amount"] == 9900
    await CANCEL.send(
        gql,
        {"customerId": gid("cus", world.other), "atPeriodEnd": False},
        token=world.master,
        dry_run=True,
    )
    assert await factory.count(SubscriptionChange) == 1  # a dry run writes no history


PREDICT = """{ metrics { predictions(horizonMonths: 3) {
  horizonMonths usersMonthlyGrowth payingMonthlyGain payingMonthlyChurn mrrMonthlyNetGrowth
  scenarios { name growthFactor churnFactor months { month users payingCustomers mrr } }
  runway { cashBalance monthlyNetBurn months runsOutOn }
  rateLimitHeadroom { planLimitTotal highestPlanLimit peakRequestsPerSecond headroom }
} } }"""


async def test_predictions(gql: GraphQL, world: World, factory: Factory) -> None:
    # world: two paying customers on pro (9,900 a month, no rate limit), five users signed up
    # today, no history in the window (the factory writes subscriptions directly).
    await factory._add(CostEntry(incurred_on=clock.now().date(), category="hosting", amount=9000))
    data = (await gql.ok(PREDICT, token=world.master))["metrics"]["predictions"]
    assert data["horizonMonths"] == 3
    # Users: 5 now, 5 signed up in the window, so 0 at its start: no rate from nothing.
    assert data["usersMonthlyGrowth"] == 0.0
    assert data["payingMonthlyGain"] == 0.0
    realistic = next(s for s in data["scenarios"] if s["name"] == "REALISTIC")
    assert [m["payingCustomers"] for m in realistic["months"]] == [2, 2, 2]
    assert [m["mrr"]["amount"] for m in realistic["months"]] == [19800] * 3
    assert [s["name"] for s in data["scenarios"]] == ["CONSERVATIVE", "REALISTIC", "OPTIMISTIC"]
    # Burn: 9,000 of costs over three months, no revenue: 3,000 a month; no cash: 0 months.
    assert data["runway"]["monthlyNetBurn"]["amount"] == 3000
    assert data["runway"]["months"] == 0.0
    assert data["runway"]["runsOutOn"] == clock.now().date().isoformat()
    assert data["rateLimitHeadroom"] == {
        "planLimitTotal": 0,
        "highestPlanLimit": 0,
        "peakRequestsPerSecond": None,  # no usage rolled up
        "headroom": None,
    }
    response = await gql(
        "{ metrics { predictions(horizonMonths: 0) { horizonMonths } } }", token=world.master
    )
    assert response.codes == ["INVALID"]


def test_projection_arithmetic() -> None:
    # 10 % observed gain and 4 % churn a month, 100 now.
    rates = predictions.Rates(gain=0.10, churn=0.04)
    assert predictions.project(100, rates, "REALISTIC", 2) == [106, 112]  # 1.06, 1.1236
    assert predictions.project(100, rates, "CONSERVATIVE", 1) == [99]  # 0.05 − 0.06
    assert predictions.project(100, rates, "OPTIMISTIC", 1) == [113]  # 0.15 − 0.02
    assert predictions.monthly_rate(30, 100) == 0.1  # 30 over three months from 100
    assert predictions.monthly_rate(5, 0) == 0.0
    assert predictions.month_label(date(2026, 11, 30), 2) == "2027-01"
    runway = predictions.runway(90_000, costs=60_000, revenue=30_000, today=date(2026, 1, 1))
    assert (runway.monthly_burn, runway.months) == (10_000, 9.0)
    assert runway.runs_out_on == date(2026, 1, 1) + timedelta(days=9 * 30.44)
    assert predictions.runway(1, costs=0, revenue=5, today=date(2026, 1, 1)).months is None
