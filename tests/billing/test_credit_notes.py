"""Credit notes: by amount or by lines, only on OPEN or PAID invoices, never above what remains;
refunds to the credit balance; lifetime value; permissions from both sides."""

from __future__ import annotations

from typing import Any

import pytest

from app.billing.gateway import LocalLedgerGateway
from app.billing.invoices import service
from app.db import Database
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice
from tests.billing import invoice_support as s
from tests.helpers import GraphQL, World, gid


def note(invoice: Invoice, **fields: Any) -> dict[str, Any]:
    return {
        "invoiceId": gid("in", invoice),
        "amount": 2_000,
        "reason": "PRODUCT_UNSATISFACTORY",
        "refundTo": "CREDIT_BALANCE",
        **fields,
    }


async def paid(db: Database, world: World, amounts: list[int] | None = None) -> Invoice:
    invoice = await s.finalized(db, world.own, amounts or [10_000])

    async def work(uow: UnitOfWork) -> Invoice:
        return await service.pay_invoice(uow, invoice.id, LocalLedgerGateway(), None)

    done: Invoice = await s.run(db, work)
    return done


CUSTOMER = """query($id: ID!) {
  customer(id: $id) {
    creditBalance lifetimeValue openInvoicesCount
    creditNotes { totalCount nodes { number } }
  }
}"""


async def test_credit_a_paid_invoice_to_the_balance(
    gql: GraphQL, world: World, db: Database
) -> None:
    invoice = await paid(db, world)
    payload = await s.CREDIT_NOTE_CREATE.ok(
        gql, note(invoice, memo="Outage in May"), token=world.master
    )
    created = payload["creditNote"]
    assert created["number"] == f"{invoice.number}-CN1"
    assert created["amount"] == {"amount": 2_000, "currency": "USD"}
    assert payload["invoice"]["creditedTotal"]["amount"] == 2_000
    data = await gql.ok(CUSTOMER, {"id": gid("cus", world.own)}, token=world.owner_token)
    customer = data["customer"]
    assert customer["creditBalance"]["amount"] == 2_000
    assert customer["lifetimeValue"]["amount"] == 8_000
    assert customer["creditNotes"]["totalCount"] == 1
    [event] = await s.outbox(db, "credit_note.created")
    assert event.data["amount"] == 2_000
    assert len(await s.events(db, "credit_note.create")) == 1


async def test_credit_an_open_invoice_lowers_what_is_due(
    gql: GraphQL, world: World, db: Database
) -> None:
    invoice = await s.finalized(db, world.own, [10_000])
    payload = await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice), token=world.master)
    assert payload["invoice"]["amountDue"]["amount"] == 8_000
    assert payload["invoice"]["status"] == "OPEN"
    data = await gql.ok(CUSTOMER, {"id": gid("cus", world.own)}, token=world.master)
    assert data["customer"]["creditBalance"]["amount"] == 0
    assert data["customer"]["openInvoicesCount"] == 1
    whole = await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice, amount=8_000), token=world.master)
    assert whole["invoice"]["status"] == "PAID"
    assert whole["creditNote"]["number"].endswith("-CN2")


async def test_credit_by_lines(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await paid(db, world, [6_000, 4_000])
    lines = await _line_ids(db, invoice)
    given = note(
        invoice,
        amount=None,
        lines=[
            {"invoiceLineId": lines[0], "amount": 1_000},
            {"invoiceLineId": lines[1], "amount": 4_000},
        ],
        refundTo="ORIGINAL_PAYMENT",
    )
    payload = await s.CREDIT_NOTE_CREATE.ok(gql, given, token=world.master)
    assert [line["amount"] for line in payload["creditNote"]["lines"]] == [1_000, 4_000]
    assert payload["creditNote"]["amount"]["amount"] == 5_000
    too_much = note(invoice, amount=None, lines=[{"invoiceLineId": lines[1], "amount": 4_001}])
    assert await s.CREDIT_NOTE_CREATE.refused(gql, too_much, token=world.master) == [
        ("AMOUNT_TOO_LARGE", ["input", "lines", "0", "amount"])
    ]
    unknown = note(invoice, amount=None, lines=[{"invoiceLineId": "inl_x", "amount": 1}])
    assert await s.CREDIT_NOTE_CREATE.refused(gql, unknown, token=world.master) == [
        ("NOT_FOUND", ["input", "lines"])
    ]


async def _line_ids(db: Database, invoice: Invoice) -> list[str]:
    from app.billing.invoices import repository

    async with db.write_session() as session:
        return [gid("inl", line) for line in await repository.lines_of(session, invoice.id)]


async def test_never_above_what_remains(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await paid(db, world)
    await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice, amount=7_000), token=world.master)
    found = await s.CREDIT_NOTE_CREATE.refused(gql, note(invoice, amount=3_001), token=world.master)
    assert found == [("AMOUNT_TOO_LARGE", ["input", "amount"])]
    await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice, amount=3_000), token=world.master)


async def test_input_rules(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await paid(db, world)
    cases = [
        (note(invoice, amount=0), [("INVALID", ["input", "amount"])]),
        (note(invoice, amount=None), [("INVALID", ["input", "amount"])]),
        (note(invoice, lines=[]), [("INVALID", ["input", "amount"])]),
        (note(invoice, memo="x" * 1001), [("TOO_LONG", ["input", "memo"])]),
        (note(invoice, invoiceId="in_x"), [("NOT_FOUND", ["input", "invoiceId"])]),
    ]
    for given, errors in cases:
        assert await s.CREDIT_NOTE_CREATE.refused(gql, given, token=world.master) == errors


@pytest.mark.parametrize("state", ["draft", "void"])
async def test_only_open_or_paid_invoices(
    gql: GraphQL, world: World, db: Database, state: str
) -> None:
    invoice = await s.draft(db, world.own)
    if state == "void":
        invoice = await s.finalized(db, world.own)

        async def work(uow: UnitOfWork) -> Invoice:
            return await service.void_invoice(uow, invoice.id)

        invoice = await s.run(db, work)
    found = await s.CREDIT_NOTE_CREATE.refused(gql, note(invoice), token=world.master)
    assert found == [("INVALID_STATE", ["input", "invoiceId"])]


async def test_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await paid(db, world)
    before = await s.counts(db)
    await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice), token=world.master, dry_run=True)
    assert await s.counts(db) == before
    first = await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice), token=world.master, key="n")
    assert await s.CREDIT_NOTE_CREATE.ok(gql, note(invoice), token=world.master, key="n") == first
    assert (await s.counts(db))["credit_notes"] == 1


@pytest.mark.parametrize("who", ["owner_token", "admin_token", "read_only_token"])
async def test_only_a_master_issues_credit_notes(
    gql: GraphQL, world: World, db: Database, who: str
) -> None:
    invoice = await paid(db, world)
    before = await s.counts(db)
    assert (await s.CREDIT_NOTE_CREATE.send(gql, note(invoice), token=getattr(world, who))).codes
    assert await s.counts(db) == before


async def test_credit_notes_are_read_in_scope(gql: GraphQL, world: World, db: Database) -> None:
    mine = await paid(db, world)
    await s.CREDIT_NOTE_CREATE.ok(gql, note(mine), token=world.master)
    query = "query($id: ID!) { invoice(id: $id) { creditNotes { number } } }"
    seen = await gql.ok(query, {"id": gid("in", mine)}, token=world.owner_token)
    assert seen["invoice"]["creditNotes"] == [{"number": f"{mine.number}-CN1"}]
    outsider = await factory_token(db, world)
    assert await gql.ok(query, {"id": gid("in", mine)}, token=outsider) == {"invoice": None}
    other = await gql.ok(CUSTOMER, {"id": gid("cus", world.own)}, token=outsider)
    assert other == {"customer": None}


async def factory_token(db: Database, world: World) -> str:
    """A session of the other customer's owner."""
    from datetime import timedelta

    from app.auth.tokens import SESSION_PREFIX
    from app.kit import clock
    from app.kit.crypto import random_token, token_hash
    from app.models import LoginSession, SessionKind

    token = random_token(SESSION_PREFIX)
    now = clock.now()
    await s.add(
        db,
        LoginSession(
            user_id=world.outsider.id,
            token_hash=token_hash(token),
            kind=SessionKind.LOGIN,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=1),
        ),
    )
    return token
