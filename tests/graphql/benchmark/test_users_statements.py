"""A page of N items with nested relations runs a constant number of SQL statements (docs/architecture.md: conventions).

Each test measures authentication alone first (`me { scope }` needs the same lookups as any
request) and compares pages of different sizes; the difference must be zero.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Customer, MemberRole, Membership, NoteCategory, Plan, User, UserNote
from tests.helpers import Factory, GraphQL, StatementCounter
from tests.support import add_rows

MAX_READ_STATEMENTS = 6
T0 = datetime(2025, 1, 1, tzinfo=UTC)

USERS_PAGE = """
query($first: Int!) {
  users(first: $first) {
    totalCount
    edges { cursor node {
      id email name status createdAt notesCount
      memberships { id role customer { id slug name plan { id code price } } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""

CUSTOMERS_PAGE = """
query($first: Int!) {
  customers(first: $first) {
    totalCount
    nodes {
      slug
      plan { code }
      members(first: 5) { totalCount nodes { role user { email } } }
    }
  }
}"""

NOTES_PAGE = """
query($first: Int!) {
  users(first: $first) {
    nodes { email notesCount notes(first: 3) { totalCount edges { node { body category } } } }
  }
}"""


@pytest.fixture
async def population(db: Any) -> dict[str, Any]:
    """120 users in 30 customers on 3 plans; most users have notes, some two memberships."""
    plans = [Plan(code=f"plan-{n}", name=f"Plan {n}", price_amount=1000 * n) for n in range(3)]
    await add_rows(db, *plans)
    customers = [
        Customer(
            slug=f"bench-{n:02}",
            name=f"Bench {n}",
            billing_email=f"b{n}@bench.test",
            plan_id=plans[n % 3].id if n % 7 else None,
            created_at=T0 + timedelta(hours=n),
        )
        for n in range(30)
    ]
    users = [
        User(
            email=f"user{n:03}@bench.test",
            name=f"User {n}",
            created_at=T0 + timedelta(minutes=n),
        )
        for n in range(120)
    ]
    await add_rows(db, *customers, *users)
    memberships = []
    notes = []
    for n, user in enumerate(users):
        memberships.append(
            Membership(
                customer_id=customers[n % 30].id,
                user_id=user.id,
                role=MemberRole.OWNER if n < 30 else MemberRole.MEMBER,
            )
        )
        if n % 5 == 0:
            memberships.append(
                Membership(
                    customer_id=customers[(n + 1) % 30].id, user_id=user.id, role=MemberRole.ADMIN
                )
            )
        notes += [
            UserNote(user_id=user.id, body=f"n{k}", category=NoteCategory.SUPPORT, author_id="t")
            for k in range(n % 4)
        ]
    await add_rows(db, *memberships, *notes)
    return {"users": users, "customers": customers}


async def count(
    gql: GraphQL, statements: StatementCounter, token: str, query: str, **variables: Any
) -> tuple[int, Any]:
    with statements.measure() as measured:
        data = await gql.ok(query, variables or None, token=token)
    return measured.count, data


async def auth_cost(gql: GraphQL, statements: StatementCounter, token: str) -> int:
    await gql.ok("{ me { scope } }", token=token)  # the credential's last use is fresh now
    counted, _ = await count(gql, statements, token, "{ me { scope } }")
    again, _ = await count(gql, statements, token, "{ __typename }")
    assert counted == again
    return counted


async def test_users_page_of_100_costs_the_same_as_10(
    gql: GraphQL, statements: StatementCounter, master_token: str, population: Any
) -> None:
    auth = await auth_cost(gql, statements, master_token)
    small, small_data = await count(gql, statements, master_token, USERS_PAGE, first=10)
    large, large_data = await count(gql, statements, master_token, USERS_PAGE, first=100)
    assert len(small_data["users"]["edges"]) == 10
    assert len(large_data["users"]["edges"]) == 100
    # The data is really there: relations resolved on every row.
    nodes = [edge["node"] for edge in large_data["users"]["edges"]]
    assert sum(len(node["memberships"]) for node in nodes) >= 100
    assert any(node["notesCount"] for node in nodes)
    assert all(m["customer"]["slug"] for node in nodes for m in node["memberships"])
    assert any(m["customer"]["plan"] for node in nodes for m in node["memberships"])
    assert large == small
    assert large - auth <= MAX_READ_STATEMENTS


async def test_users_page_costs_the_same_in_session_scope(
    gql: GraphQL, statements: StatementCounter, factory: Factory, population: Any
) -> None:
    boss = await factory.user("boss@bench.test")
    # The boss administers every customer, so the page is full but scoped by SQL.
    await add_rows(
        factory.db,
        *(
            Membership(customer_id=customer.id, user_id=boss.id, role=MemberRole.ADMIN)
            for customer in population["customers"]
        ),
    )
    token = await factory.session_token(boss)
    auth = await auth_cost(gql, statements, token)
    small, _ = await count(gql, statements, token, USERS_PAGE.replace("notesCount", ""), first=10)
    large, data = await count(
        gql, statements, token, USERS_PAGE.replace("notesCount", ""), first=100
    )
    assert len(data["users"]["edges"]) == 100
    assert large == small
    assert large - auth <= MAX_READ_STATEMENTS


async def test_customers_with_plans_and_members_cost_the_same(
    gql: GraphQL, statements: StatementCounter, master_token: str, population: Any
) -> None:
    auth = await auth_cost(gql, statements, master_token)
    small, _ = await count(gql, statements, master_token, CUSTOMERS_PAGE, first=3)
    large, data = await count(gql, statements, master_token, CUSTOMERS_PAGE, first=30)
    customers = data["customers"]["nodes"]
    assert len(customers) == 30
    assert all(customer["members"]["totalCount"] >= 4 for customer in customers)
    assert all(
        len(customer["members"]["nodes"]) == min(5, customer["members"]["totalCount"])
        for customer in customers
    )
    assert large == small
    assert large - auth <= MAX_READ_STATEMENTS


async def test_users_with_notes_cost_the_same(
    gql: GraphQL, statements: StatementCounter, master_token: str, population: Any
) -> None:
    auth = await auth_cost(gql, statements, master_token)
    small, _ = await count(gql, statements, master_token, NOTES_PAGE, first=10)
    large, data = await count(gql, statements, master_token, NOTES_PAGE, first=100)
    nodes = data["users"]["nodes"]
    assert len(nodes) == 100
    for node in nodes:
        assert node["notes"]["totalCount"] == node["notesCount"]
        assert len(node["notes"]["edges"]) == min(3, node["notesCount"])
    assert large == small
    assert large - auth <= MAX_READ_STATEMENTS
