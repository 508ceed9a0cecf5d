"""Lists of plans, and pages of customers with their subscription, plan, MRR and effective
limits, run the same number of statements for 2 rows as for 10."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import MemberRole
from tests.helpers import Factory, GraphQL, StatementCounter

PLANS = """
query($first: Int!) {
  plans(first: $first) {
    totalCount
    nodes { code price limits { seats } versions { version price } subscribersCount mrr }
  }
  tiers { code price plan { code } }
}"""

CUSTOMERS = """
query($first: Int!) {
  customers(first: $first) {
    nodes {
      slug
      plan { code mrr subscribersCount }
      subscription { status price mrr plan { code versions { version } } }
      mrr
      effectiveLimits { seats { value source } monthlyQuota { value source } }
    }
  }
}"""


async def measured(
    gql: GraphQL, statements: StatementCounter, query: str, first: int, token: str
) -> tuple[int, Any]:
    await gql.ok("{ __typename }", token=token)
    with statements.measure():
        data = await gql.ok(query, {"first": first}, token=token)
    return statements.count, data


async def test_plans_list_runs_constant_statements(
    gql: GraphQL, factory: Factory, statements: StatementCounter
) -> None:
    token = await factory.master_key()
    for n in range(10):
        plan = await factory.plan(f"plan-{n:02}", price_amount=100 * n, seats=n)
        await factory.customer(f"customer-{n}", plan=plan)
    small, small_data = await measured(gql, statements, PLANS, 2, token)
    large, large_data = await measured(gql, statements, PLANS, 10, token)
    assert len(small_data["plans"]["nodes"]) == 2
    assert len(large_data["plans"]["nodes"]) == 10
    assert all(node["subscribersCount"] == 1 for node in large_data["plans"]["nodes"])
    assert small == large


@pytest.mark.parametrize("caller", ["master", "session_admin"])
async def test_customers_with_subscriptions_run_constant_statements(
    gql: GraphQL, factory: Factory, statements: StatementCounter, caller: str
) -> None:
    boss = await factory.user("boss@example.test")
    plans = [await factory.plan(f"p{n}", price_amount=1200 * (n + 1), seats=n) for n in range(3)]
    for n in range(10):
        customer = await factory.customer(f"customer-{n:02}", plan=plans[n % 3])
        await factory.member(customer, boss, MemberRole.OWNER)
    token = await factory.master_key() if caller == "master" else await factory.session_token(boss)
    small, small_data = await measured(gql, statements, CUSTOMERS, 2, token)
    large, large_data = await measured(gql, statements, CUSTOMERS, 10, token)
    assert len(small_data["customers"]["nodes"]) == 2
    nodes = large_data["customers"]["nodes"]
    assert len(nodes) == 10
    for node in nodes:
        assert node["subscription"]["plan"]["code"] == node["plan"]["code"]
        assert node["mrr"] == node["subscription"]["mrr"] == node["subscription"]["price"]
        assert node["effectiveLimits"]["seats"]["source"] == "PLAN"
    assert small == large
