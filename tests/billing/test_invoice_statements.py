"""The invoices list, and a customers page with billing figures, run the same number of SQL
statements for 2 and for 10 rows."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.models import MemberRole
from tests.billing import invoice_support as s
from tests.helpers import Factory, GraphQL, StatementCounter

INVOICES = """
query($first: Int!) {
  invoices(first: $first) {
    totalCount
    nodes {
      number status total amountDue
      customer { slug creditBalance }
      lines { description amount taxAmount jurisdiction taxRate { displayName } }
      discounts { name amount }
      attempts { status amount }
      creditNotes { number lines { amount } }
    }
  }
}"""

CUSTOMERS = """
query($first: Int!) {
  customers(first: $first) {
    nodes {
      slug creditBalance lifetimeValue openInvoicesCount taxId
      billingAddress { country }
      invoices { totalCount nodes { number lines { amount } } }
      creditTransactions { totalCount nodes { amount } }
    }
  }
}"""


async def populate(factory: Factory, db: Database, count: int) -> str:
    from app.billing.invoices.service import DiscountDraft

    boss = await factory.user("boss@example.test")
    await s.tax_rate(db, "DE", 1900)
    for n in range(count):
        customer = await factory.customer(f"customer-{n}")
        await factory.member(customer, boss, MemberRole.OWNER)
        await s.profile(db, customer, country="DE")
        await s.draft(db, customer)
        await s.finalized(db, customer, [1_000, 2_000], [DiscountDraft("Promo", percent_off="10")])
    return await factory.session_token(boss)


async def measured(
    gql: GraphQL, statements: StatementCounter, query: str, first: int, token: str
) -> tuple[int, Any]:
    await gql.ok("{ __typename }", token=token)
    with statements.measure():
        data = await gql.ok(query, {"first": first}, token=token)
    return statements.count, data


@pytest.mark.parametrize("caller", ["master", "session_admin"])
@pytest.mark.parametrize("query", ["invoices", "customers"])
async def test_constant_statements(
    gql: GraphQL,
    factory: Factory,
    db: Database,
    statements: StatementCounter,
    caller: str,
    query: str,
) -> None:
    boss = await populate(factory, db, 10)
    token = await factory.master_key() if caller == "master" else boss
    document = INVOICES if query == "invoices" else CUSTOMERS
    small, small_data = await measured(gql, statements, document, 2, token)
    large, large_data = await measured(gql, statements, document, 10, token)
    assert len(small_data[query]["nodes"]) == 2
    assert len(large_data[query]["nodes"]) == 10
    assert small == large
    if query == "customers":
        node = large_data["customers"]["nodes"][0]
        assert node["openInvoicesCount"] == 1
        assert node["billingAddress"] == {"country": "DE"}
        assert node["invoices"]["totalCount"] == 2
