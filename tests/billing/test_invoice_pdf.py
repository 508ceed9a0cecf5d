"""GET /invoices/{id}.pdf: what it shows (read back as text), and who may fetch it."""

from __future__ import annotations

import io

import httpx
from pypdf import PdfReader

from app.billing.invoices.service import DiscountDraft
from app.db import Database
from tests.billing import invoice_support as s
from tests.helpers import World, gid


def text_of(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


async def test_the_pdf_shows_the_invoice(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await s.tax_rate(db, "DE", 1900)
    await s.profile(
        db,
        world.own,
        name="Own Co GmbH",
        line1="Hauptstr. 1",
        city="Berlin",
        postal_code="10115",
        country="DE",
    )
    invoice = await s.finalized(
        db,
        world.own,
        [10_000, 5_000],
        [DiscountDraft("Launch", coupon_code="LAUNCH", amount_off=1_000)],
    )
    response = await client.get(
        f"/invoices/{gid('in', invoice)}.pdf", headers={"Authorization": f"Bearer {world.master}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = text_of(response.content)
    for expected in (
        f"Invoice {invoice.number}",
        "Own Co GmbH",
        "Hauptstr. 1",
        "10115 Berlin",
        "Item 0",
        "100.00 USD",
        "Discount Launch (LAUNCH)",
        "-10.00 USD",
        "Tax DE",
        "26.60 USD",  # 19 % of 140.00
        "Total",
        "166.60 USD",
        "Credit applied",
    ):
        assert expected in text, expected


async def test_who_may_fetch_it(client: httpx.AsyncClient, world: World, db: Database) -> None:
    invoice = await s.finalized(db, world.own)
    url = f"/invoices/{gid('in', invoice)}.pdf"

    async def status(token: str | None, path: str = url) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return (await client.get(path, headers=headers)).status_code

    assert await status(world.owner_token) == 200
    assert await status(world.admin_token) == 200
    assert await status(None) == 401
    other = await s.finalized(db, world.other)
    refused = await client.get(
        f"/invoices/{gid('in', other)}.pdf",
        headers={"Authorization": f"Bearer {world.owner_token}"},
    )
    assert refused.status_code == 404
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    draft = await s.draft(db, world.own)
    assert await status(world.master, f"/invoices/{gid('in', draft)}.pdf") == 404
    assert await status(world.master, "/invoices/in_nothing.pdf") == 404
