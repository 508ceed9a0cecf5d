"""A page of customers with every nested list runs the same number of SQL statements for 2 or
8 customers (docs/architecture.md: conventions): each relation is one batched statement, whatever the page size."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.models import CustomerNote, MemberRole
from tests.customers import support
from tests.helpers import Factory, GraphQL, StatementCounter

CUSTOMERS = """
query($first: Int!) {
  customers(first: $first) {
    totalCount
    nodes {
      slug
      plan { code }
      members { totalCount nodes { role user { email name status } } }
      invitations { totalCount nodes { email status } }
      pending: invitations(status: PENDING) { totalCount nodes { email } }
      projects { totalCount nodes { slug } }
      found: projects(search: "app") { totalCount nodes { slug } }
      %s
    }
  }
}"""
NOTES = "notes { totalCount nodes { body } }"

INVITATIONS = """
query($first: Int!) {
  invitations(first: $first) {
    totalCount
    nodes { email status role customer { slug plan { code } } }
  }
}"""


async def populate(factory: Factory, db: Database, count: int) -> str:
    """`count` customers, each with members, invitations, projects and notes; returns the
    session token of a user who is OWNER of them all."""
    plan = await factory.plan("pro")
    boss = await factory.user("boss@example.test")
    for n in range(count):
        customer = await factory.customer(f"customer-{n}", plan=plan)
        await factory.member(customer, boss, MemberRole.OWNER)
        await factory.member(customer, await factory.user(f"m{n}@example.test"))
        for kind in ("a", "b"):
            await support.invitation(db, customer, f"{kind}{n}@invited.test")
            await support.project(db, customer, slug=f"{kind}-app", name=f"App {kind}")
            await support.add(db, CustomerNote(customer_id=customer.id, body=f"note {kind}"))
    return await factory.session_token(boss)


async def measured(
    gql: GraphQL, statements: StatementCounter, query: str, first: int, token: str
) -> tuple[int, Any]:
    await gql.ok("{ __typename }", token=token)  # the credential's first use may touch it
    with statements.measure():
        data = await gql.ok(query, {"first": first}, token=token)
    return statements.count, data


@pytest.mark.parametrize("caller", ["master", "session_admin"])
async def test_customers_page_runs_constant_statements(
    gql: GraphQL, factory: Factory, db: Database, statements: StatementCounter, caller: str
) -> None:
    boss = await populate(factory, db, 8)
    token = await factory.master_key() if caller == "master" else boss
    query = CUSTOMERS % (NOTES if caller == "master" else "")
    small, small_data = await measured(gql, statements, query, 2, token)
    large, large_data = await measured(gql, statements, query, 8, token)
    assert len(small_data["customers"]["nodes"]) == 2
    nodes = large_data["customers"]["nodes"]
    assert len(nodes) == 8
    for node in nodes:
        assert node["plan"] == {"code": "pro"}
        assert node["members"]["totalCount"] == 2
        assert node["invitations"]["totalCount"] == 2
        assert node["pending"]["totalCount"] == 2
        assert node["projects"]["totalCount"] == 2
        assert node["found"]["totalCount"] == 2
        if caller == "master":
            assert node["notes"]["totalCount"] == 2
    assert small == large, (small, large)


async def test_invitations_list_runs_constant_statements(
    gql: GraphQL, factory: Factory, db: Database, statements: StatementCounter
) -> None:
    await populate(factory, db, 8)
    token = await factory.master_key()
    small, _ = await measured(gql, statements, INVITATIONS, 2, token)
    large, data = await measured(gql, statements, INVITATIONS, 16, token)
    assert len(data["invitations"]["nodes"]) == 16
    assert small == large, (small, large)
