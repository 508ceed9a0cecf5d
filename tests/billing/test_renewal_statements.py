"""A page of customers with subscription, plan, mrr, credit balance and open invoices count
runs the same number of statements for 10 customers as for 100."""

from __future__ import annotations

from app.models.invoices import Invoice, InvoiceStatus
from tests.billing.test_statements import measured
from tests.helpers import Factory, GraphQL, StatementCounter

CUSTOMERS = """
query($first: Int!) {
  customers(first: $first) {
    nodes {
      slug
      subscription { status price plan { code } }
      plan { code }
      mrr
      creditBalance
      openInvoicesCount
    }
  }
}"""


async def test_a_page_of_100_customers_runs_as_many_statements_as_10(
    gql: GraphQL, factory: Factory, statements: StatementCounter
) -> None:
    plans = [await factory.plan(f"p{n}", price_amount=1000 * (n + 1)) for n in range(3)]
    for n in range(100):
        customer = await factory.customer(f"customer-{n:03}", plan=plans[n % 3])
        await factory._add(
            Invoice(customer_id=customer.id, currency="USD", status=InvoiceStatus.OPEN)
        )
    token = await factory.master_key()
    small, small_data = await measured(gql, statements, CUSTOMERS, 10, token)
    large, large_data = await measured(gql, statements, CUSTOMERS, 100, token)
    assert len(small_data["customers"]["nodes"]) == 10
    nodes = large_data["customers"]["nodes"]
    assert len(nodes) == 100
    assert all(node["openInvoicesCount"] == 1 for node in nodes)
    assert all(node["mrr"] == node["subscription"]["price"] for node in nodes)
    assert small == large
