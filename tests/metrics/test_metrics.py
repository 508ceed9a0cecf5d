"""Every figure of `metrics { … }` over the known October 2026 data set (tests/metrics/
support.py); the expectations are worked out by hand beside each assertion."""

from __future__ import annotations

from tests.helpers import Factory, GraphQL, gid
from tests.metrics.support import books

USD = "USD"


def usd(amount: int) -> dict[str, object]:
    return {"amount": amount, "currency": USD}


OVERVIEW = """
query($period: String) { metrics { overview(period: $period) {
  startDate endDate usersTotal usersActive usersNew customersTotal customersActive
  activeSubscriptions trialingSubscriptions mrr arr churnRate trialConversion unreadFeedback
  usageThisPeriod
} } }"""


async def test_overview(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await books(factory)
    data = await gql.ok(OVERVIEW, {"period": "2026-10"}, token=master_token)
    assert data["metrics"]["overview"] == {
        "startDate": "2026-10-01",
        "endDate": "2026-10-31",
        "usersTotal": 5,  # u1–u5 (u6 deleted)
        "usersActive": 3,  # sessions of u1, u2, u5 in use in October
        "usersNew": 4,  # u1–u4
        "customersTotal": 7,
        "customersActive": 6,  # g is deactivated
        "activeSubscriptions": 4,  # a, b, e, f
        "trialingSubscriptions": 1,  # c
        "mrr": usd(1000 + 1002 + 500 + 1500),  # pro: 12018 / 12 = 1001.5 → 1002 (half even)
        "arr": usd(4002 * 12),
        "churnRate": 1 / 3,  # d churned; a, d, f paid on Oct 1
        "trialConversion": 0.5,  # b converted, g canceled
        "unreadFeedback": 2,
        "usageThisPeriod": 0,  # no usage in the books (tests/metrics/test_usage_figures.py)
    }


REVENUE = """
query($from: Date, $to: Date) { metrics { revenue(from: $from, to: $to) {
  startDate endDate mrr arr
  mrrByPlan { planCode planName subscribers mrr revenue costs grossMargin grossMarginPercent }
  movements { new expansion contraction churned reactivation net
              newCustomers churnedCustomers reactivatedCustomers }
  revenue costs grossMargin grossMarginPercent refunds creditNotesToBalance creditsGranted
  byDay { date revenue invoicesPaid }
} } }"""


async def test_revenue(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await books(factory)
    data = await gql.ok(REVENUE, {"from": "2026-10-01", "to": "2026-10-31"}, token=master_token)
    revenue = data["metrics"]["revenue"]
    assert revenue["mrr"] == usd(4002)
    assert revenue["arr"] == usd(48024)
    assert revenue["movements"] == {
        "new": usd(1002),  # b's trial converted; b never paid before
        "expansion": usd(200),  # a: 800 → 1000
        "contraction": usd(500),  # f: 2000 → 1500
        "churned": usd(1000),  # d canceled
        "reactivation": usd(500),  # e paid in July, stopped in August, back in October
        "net": usd(1002 + 200 + 500 - 500 - 1000),
        "newCustomers": 1,
        "churnedCustomers": 1,
        "reactivatedCustomers": 1,
    }
    # Paid in October, in USD: 1190 − 190 tax, 1002, 1500 (the EUR invoice and the open
    # and September ones do not count).
    assert revenue["revenue"] == usd(3502)
    assert revenue["costs"] == usd(800)  # 400 + 300 + 100 (November's 999 is not October's)
    assert revenue["grossMargin"] == usd(2702)
    assert revenue["grossMarginPercent"] == 77.1559  # 2702 / 3502
    assert revenue["refunds"] == usd(200)
    assert revenue["creditNotesToBalance"] == usd(50)
    assert revenue["creditsGranted"] == usd(300)
    assert revenue["mrrByPlan"] == [
        {
            "planCode": "biz",
            "planName": "Plan 4",
            "subscribers": 1,
            "mrr": usd(1500),
            "revenue": usd(1500),
            "costs": usd(0),
            "grossMargin": usd(1500),
            "grossMarginPercent": 100.0,
        },
        {
            "planCode": "pro",
            "planName": "Plan 2",
            "subscribers": 1,
            "mrr": usd(1002),
            "revenue": usd(1002),
            "costs": usd(0),
            "grossMargin": usd(1002),
            "grossMarginPercent": 100.0,
        },
        {
            "planCode": "basic",
            "planName": "Plan 1",
            "subscribers": 1,
            "mrr": usd(1000),
            "revenue": usd(1000),
            "costs": usd(300),
            "grossMargin": usd(700),
            "grossMarginPercent": 70.0,
        },
        {
            "planCode": "starter",
            "planName": "Plan 3",
            "subscribers": 1,
            "mrr": usd(500),
            "revenue": usd(0),
            "costs": usd(0),
            "grossMargin": usd(0),
            "grossMarginPercent": None,
        },
    ]
    days = {day["date"]: day for day in revenue["byDay"]}
    assert len(days) == 31
    assert days["2026-10-03"] == {"date": "2026-10-03", "revenue": usd(2500), "invoicesPaid": 2}
    assert days["2026-10-12"] == {"date": "2026-10-12", "revenue": usd(1002), "invoicesPaid": 1}
    assert days["2026-10-04"]["revenue"] == usd(0)  # the EUR invoice
    assert sum(day["revenue"]["amount"] for day in revenue["byDay"]) == 3502


EARNINGS = """
query($slug: String, $id: ID, $period: String) { metrics {
  customerEarnings(slug: $slug, customerId: $id, period: $period) {
    slug revenue lifetimeRevenue mrr refunds creditsGranted byDay { date revenue }
  }
} }"""


async def test_customer_earnings(gql: GraphQL, factory: Factory, master_token: str) -> None:
    found = await books(factory)
    data = await gql.ok(EARNINGS, {"slug": "cust-a", "period": "2026-10"}, token=master_token)
    earnings = data["metrics"]["customerEarnings"]
    assert earnings["revenue"] == usd(1000)  # 1190 − 190 tax
    assert earnings["lifetimeRevenue"] == usd(2000)  # and September's 1000
    assert earnings["mrr"] == usd(1000)
    assert earnings["refunds"] == usd(0)  # its credit note went to the balance
    by_id = await gql.ok(
        EARNINGS,
        {"id": gid("cus", found.customers["e"]), "period": "2026-10"},
        token=master_token,
    )
    assert by_id["metrics"]["customerEarnings"]["slug"] == "cust-e"
    assert by_id["metrics"]["customerEarnings"]["creditsGranted"] == usd(300)
    assert by_id["metrics"]["customerEarnings"]["revenue"] == usd(0)  # its invoice is in EUR
    missing = await gql.ok(EARNINGS, {"slug": "nobody"}, token=master_token)
    assert missing["metrics"]["customerEarnings"] is None


FUNNEL = """
query($from: Date, $to: Date) { metrics { funnel(from: $from, to: $to) {
  current { startDate endDate steps { name count conversion } }
  previous { startDate endDate steps { name count conversion } }
} } }"""


async def test_funnel(gql: GraphQL, factory: Factory, master_token: str) -> None:
    await books(factory)
    data = await gql.ok(FUNNEL, {"from": "2026-10-01", "to": "2026-10-31"}, token=master_token)
    funnel = data["metrics"]["funnel"]
    # Signed up in October: u1–u4 (u6 deleted). Activated: u1, u2 logged in; u4 is in a
    # trialing customer. Trial: u1 (b trialed, pays), u4 (c trials). Paid: u1.
    assert funnel["current"]["steps"] == [
        {"name": "SIGNUP", "count": 4, "conversion": None},
        {"name": "ACTIVATED", "count": 3, "conversion": 0.75},
        {"name": "TRIAL", "count": 2, "conversion": 0.666667},
        {"name": "PAID", "count": 1, "conversion": 0.5},
    ]
    # The 31 days before: August 31 to September 30; u5 signed up and logged in.
    assert funnel["previous"]["startDate"] == "2026-08-31"
    assert funnel["previous"]["endDate"] == "2026-09-30"
    assert [step["count"] for step in funnel["previous"]["steps"]] == [1, 1, 0, 0]
