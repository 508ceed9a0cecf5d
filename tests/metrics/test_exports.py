"""CSV exports: header, RFC 4180 quoting, formula neutralisation, auth, signed links and their
expiry, bad ranges, the tax sums; and constant memory for a million streamed rows."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.kit import clock
from app.kit.csv_export import cell, csv_stream
from app.models.customers import Customer
from app.models.invoices import Invoice, InvoiceLine, InvoiceStatus
from tests.helpers import Factory, GraphQL, World
from tests.metrics.support import at, books


def rows_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


async def test_revenue_export(
    client: httpx.AsyncClient, factory: Factory, master_token: str
) -> None:
    await books(factory)
    response = await client.get(
        "/exports/revenue.csv?start_date=2026-10-01&end_date=2026-10-31",
        headers={"Authorization": f"Bearer {master_token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="admiral-revenue-2026-10-01_2026-10-31.csv"'
    )
    rows = rows_of(response.text)
    assert rows[0][:3] == ["invoice_number", "customer_slug", "customer_name"]
    # Paid in October, oldest first: a (10-03 noon), f (10-03 18:00), the EUR one, b.
    assert [(row[1], row[4], row[9]) for row in rows[1:]] == [
        ("cust-a", "USD", "1000"),
        ("cust-f", "USD", "1500"),
        ("cust-e", "EUR", "700"),
        ("cust-b", "USD", "1002"),
    ]
    assert response.text.endswith("\r\n")


async def test_quoting_and_formula_injection(
    client: httpx.AsyncClient, factory: Factory, master_token: str
) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", 'Say "hi", ok']
    for n, name in enumerate(names):
        await factory.customer(f"c-{n}", name=name, created_at=at(10, 1))
    response = await client.get(
        "/exports/customers.csv?start_date=2026-10-01&end_date=2026-10-31",
        headers={"Authorization": f"Bearer {master_token}"},
    )
    assert response.status_code == 200
    rows = rows_of(response.text)
    assert rows[0] == [
        "slug",
        "name",
        "status",
        "plan",
        "billing_email",
        "created_at",
        "revenue_usd",
        "mrr_usd",
    ]
    assert sorted(row[1] for row in rows[1:]) == sorted(
        ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tTab", "'\rCR", 'Say "hi", ok']
    )
    assert '"Say ""hi"", ok"' in response.text  # RFC 4180: quoted, quotes doubled
    assert cell(-5) == -5  # a negative number is a number, not a formula


async def test_tax_export_sums_finalized_invoices_by_jurisdiction(
    client: httpx.AsyncClient, factory: Factory, master_token: str
) -> None:
    customer = await factory.customer("taxed")

    async def invoice(status: InvoiceStatus, lines: list[tuple[str | None, int, int]]) -> None:
        row = Invoice(customer_id=customer.id, status=status, finalized_at=at(10, 9))
        await factory._add(row)
        await factory._add(
            *(
                InvoiceLine(
                    invoice_id=row.id,
                    customer_id=customer.id,
                    description="x",
                    amount=amount,
                    tax_amount=tax,
                    jurisdiction=where,
                )
                for where, amount, tax in lines
            )
        )

    await invoice(InvoiceStatus.PAID, [("DE", 1000, 190), ("US-CA", 500, 36)])
    await invoice(InvoiceStatus.OPEN, [("DE", 2000, 380)])
    await invoice(InvoiceStatus.VOID, [("DE", 9999, 999)])  # voided: no tax collected
    await invoice(InvoiceStatus.PAID, [(None, 300, 0)])
    response = await client.get(
        "/exports/tax.csv?start_date=2026-10-01&end_date=2026-10-31",
        headers={"Authorization": f"Bearer {master_token}"},
    )
    assert rows_of(response.text) == [
        ["jurisdiction", "currency", "invoices", "lines", "taxable_amount", "tax_collected"],
        ["", "USD", "1", "1", "300", "0"],
        ["DE", "USD", "2", "2", "3000", "570"],  # 190 + 380
        ["US-CA", "USD", "1", "1", "500", "36"],
    ]


async def test_audit_export(client: httpx.AsyncClient, master_token: str) -> None:
    today = clock.now().date().isoformat()
    response = await client.get(
        f"/exports/audit.csv?start_date={today}&end_date={today}",
        headers={"Authorization": f"Bearer {master_token}"},
    )
    rows = rows_of(response.text)
    assert rows[0][0] == "seq"
    assert [row[5] for row in rows[1:]] == ["master_key.create"]


async def test_auth_and_ranges(client: httpx.AsyncClient, world: World) -> None:
    assert (await client.get("/exports/revenue.csv")).status_code == 401
    owner = {"Authorization": f"Bearer {world.owner_token}"}
    refused = await client.get("/exports/revenue.csv", headers=owner)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    master = {"Authorization": f"Bearer {world.master}"}
    assert (await client.get("/exports/revenue.csv", headers=master)).status_code == 200
    assert (await client.get("/exports/nope.csv", headers=master)).status_code == 404
    for query, code, field in [
        ("start_date=2026-10-05&end_date=2026-10-01", "RANGE_REVERSED", "start_date"),
        ("start_date=2026-1-05", "INVALID", "start_date"),
        ("end_date=yesterday", "INVALID", "end_date"),
        ("start_date=2025-01-01&end_date=2026-06-01", "RANGE_TOO_LONG", "end_date"),
    ]:
        response = await client.get(f"/exports/revenue.csv?{query}", headers=master)
        assert response.status_code == 400, query
        error = response.json()["errors"][0]
        assert (error["extensions"]["code"], error["extensions"].get("field")) == (code, [field])


async def test_signed_link(client: httpx.AsyncClient, gql: GraphQL, master_token: str) -> None:
    data = await gql.ok(
        '{ exportUrl(kind: TAX, startDate: "2026-10-01", endDate: "2026-10-31") }',
        token=master_token,
    )
    parts = urlsplit(data["exportUrl"])
    assert parts.path == "/exports/tax.csv"
    link = f"{parts.path}?{parts.query}"
    assert (await client.get(link)).status_code == 200  # no Authorization header
    # Stretched to another range, or another kind: refused.
    other = link.replace("2026-10-31", "2026-10-30")
    response = await client.get(other)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_INVALID"
    assert (await client.get(link.replace("/tax.csv", "/audit.csv"))).status_code == 401
    with clock.travel(timedelta(minutes=4, seconds=50)):
        assert (await client.get(link)).status_code == 200
    with clock.travel(timedelta(minutes=5, seconds=10)):
        expired = await client.get(link)
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_EXPIRED"
    bad = await gql(
        '{ exportUrl(kind: TAX, startDate: "2026-10-02", endDate: "2026-10-01") }',
        token=master_token,
    )
    assert bad.codes == ["RANGE_REVERSED"]


async def _generated(count: int) -> AsyncIterator[Sequence[Any]]:
    for n in range(count):
        yield (f"2026-000{n}", f"=cust-{n}", "Name, with comma", n * 7, "USD")


async def test_rows_stream_in_constant_memory() -> None:
    """Measured with tracemalloc: the peak while streaming 100,000 rows stays what 10,000 rows
    need (about one chunk), far below the output's size (`scripts/export-memory` measures a
    million rows the same way)."""

    async def peak(count: int) -> tuple[int, int]:
        tracemalloc.start()
        written = 0
        async for chunk in csv_stream(
            ["number", "slug", "name", "amount", "currency"], _generated(count)
        ):
            written += len(chunk)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, written

    small_peak, _ = await peak(10_000)
    big_peak, big_written = await peak(100_000)
    assert big_written > 4_000_000
    assert big_peak < 1_000_000  # under 1 MB for over 4 MB of CSV
    assert big_peak < small_peak * 2


async def test_export_streams_from_the_database_row_by_row(
    client: httpx.AsyncClient, factory: Factory, master_token: str
) -> None:
    await factory._add(
        *(Customer(slug=f"bulk-{n}", name=f"Bulk {n}", created_at=at(10, 1)) for n in range(300))
    )
    async with client.stream(
        "GET",
        "/exports/customers.csv?start_date=2026-10-01&end_date=2026-10-31",
        headers={"Authorization": f"Bearer {master_token}"},
    ) as response:
        lines = 0
        async for line in response.aiter_lines():
            if line:
                lines += 1
    assert lines == 301
