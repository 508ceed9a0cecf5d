"""The credit balance: grants, the balance as the ledger sum (expired lots left out), credit
used by payments first, returned by a void; permissions from both sides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.billing.gateway import LocalLedgerGateway
from app.billing.invoices import service
from app.db import Database
from app.kit import clock
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice, InvoiceStatus
from tests.billing import invoice_support as s
from tests.helpers import GraphQL, World, gid


def grant(world: World, amount: int = 5_000, **fields: Any) -> dict[str, Any]:
    return {
        "customerId": gid("cus", world.own),
        "amount": {"amount": amount, "currency": "USD"},
        "reason": "Goodwill",
        **fields,
    }


BALANCE = """query($id: ID!) {
  customer(id: $id) {
    creditBalance
    creditTransactions { totalCount nodes { amount kind reason } }
  }
}"""


async def balance(gql: GraphQL, world: World, token: str | None = None) -> Any:
    data = await gql.ok(BALANCE, {"id": gid("cus", world.own)}, token=token or world.master)
    return data["customer"]


async def test_grant(gql: GraphQL, world: World, db: Database) -> None:
    payload = await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master)
    assert payload["creditTransaction"]["kind"] == "GRANT"
    assert payload["customer"]["creditBalance"] == {"amount": 5_000, "currency": "USD"}
    [event] = await s.events(db, "customer.credit.grant")
    assert event.customer_id == world.own.id


async def test_grant_checks_its_input(gql: GraphQL, world: World) -> None:
    past = (clock.now() - timedelta(days=1)).isoformat()
    cases = [
        (grant(world, 0), [("INVALID", ["input", "amount"])]),
        (grant(world, reason=" "), [("REQUIRED", ["input", "reason"])]),
        (grant(world, expiresAt=past), [("INVALID", ["input", "expiresAt"])]),
        (grant(world, customerId="cus_x"), [("NOT_FOUND", ["input", "customerId"])]),
    ]
    for given, errors in cases:
        assert await s.CREDIT_GRANT.refused(gql, given, token=world.master) == errors


async def test_one_currency_per_ledger(gql: GraphQL, world: World) -> None:
    await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master)
    euros = {**grant(world), "amount": {"amount": 100, "currency": "EUR"}}
    found = await s.CREDIT_GRANT.refused(gql, euros, token=world.master)
    assert found == [("CURRENCY_MISMATCH", ["input", "amount"])]


async def test_grant_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    before = await s.counts(db)
    await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master, dry_run=True)
    assert await s.counts(db) == before
    first = await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master, key="g")
    assert await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master, key="g") == first
    assert (await balance(gql, world))["creditBalance"]["amount"] == 5_000


@pytest.mark.parametrize("who", ["owner_token", "admin_token", "member_token"])
async def test_only_a_master_grants(gql: GraphQL, world: World, db: Database, who: str) -> None:
    before = await s.counts(db)
    assert (await s.CREDIT_GRANT.send(gql, grant(world), token=getattr(world, who))).codes
    assert await s.counts(db) == before


async def test_a_session_admin_reads_their_own_balance_only(gql: GraphQL, world: World) -> None:
    await s.CREDIT_GRANT.ok(gql, grant(world), token=world.master)
    mine = await balance(gql, world, world.owner_token)
    assert mine["creditBalance"]["amount"] == 5_000
    assert mine["creditTransactions"]["totalCount"] == 1
    theirs = await gql.ok(BALANCE, {"id": gid("cus", world.other)}, token=world.owner_token)
    assert theirs == {"customer": None}


async def test_expired_credit_stops_counting(gql: GraphQL, world: World, db: Database) -> None:
    soon = (clock.now() + timedelta(days=1)).isoformat()
    await s.CREDIT_GRANT.ok(gql, grant(world, 3_000, expiresAt=soon), token=world.master)
    await s.CREDIT_GRANT.ok(gql, grant(world, 1_000), token=world.master)
    invoice = await s.finalized(db, world.own, [2_000])
    paid = await _pay(db, invoice)
    assert paid.credit_applied == 2_000  # the expiring lot is used first
    assert (await balance(gql, world))["creditBalance"]["amount"] == 2_000
    with clock.travel(timedelta(days=2)):
        after = await balance(gql, world)
    # The expiring lot's unused 1,000 is gone; the lot without expiry is whole.
    assert after["creditBalance"]["amount"] == 1_000


async def _pay(db: Database, invoice: Invoice) -> Invoice:
    async def work(uow: UnitOfWork) -> Invoice:
        return await service.pay_invoice(uow, invoice.id, LocalLedgerGateway(), None)

    paid: Invoice = await s.run(db, work)
    return paid


async def test_pay_uses_credit_then_the_gateway(gql: GraphQL, world: World, db: Database) -> None:
    await s.CREDIT_GRANT.ok(gql, grant(world, 4_000), token=world.master)
    invoice = await s.finalized(db, world.own, [10_000])
    payload = await s.INVOICE_PAY.ok(gql, {"invoiceId": gid("in", invoice)}, token=world.master)
    paid = payload["invoice"]
    assert paid["creditApplied"]["amount"] == 4_000
    assert paid["amountPaid"]["amount"] == 6_000
    assert paid["attempts"] == [{"status": "SUCCEEDED", "amount": 6_000, "gateway": "local"}]
    ledger = await balance(gql, world)
    assert ledger["creditBalance"]["amount"] == 0
    assert [n["kind"] for n in ledger["creditTransactions"]["nodes"]] == ["APPLIED", "GRANT"]


async def test_credit_alone_can_pay(gql: GraphQL, world: World, db: Database) -> None:
    await s.CREDIT_GRANT.ok(gql, grant(world, 20_000), token=world.master)
    invoice = await s.finalized(db, world.own, [10_000])
    paid = await _pay(db, invoice)
    assert (paid.status, paid.credit_applied, paid.amount_paid) == (InvoiceStatus.PAID, 10_000, 0)
    assert (await s.counts(db))["payment_attempts"] == 0


async def test_void_returns_the_credit_used(gql: GraphQL, world: World, db: Database) -> None:
    await s.CREDIT_GRANT.ok(gql, grant(world, 4_000), token=world.master)
    invoice = await s.finalized(db, world.own, [10_000])

    class Refusing:
        name = "refusing"

        async def charge(self, charge: Any, *, idempotency_key: str | None) -> Any:
            from app.billing.gateway.base import ChargeResult

            return ChargeResult(False, None, "declined")

    async def work(uow: UnitOfWork) -> Invoice:
        return await service.pay_invoice(uow, invoice.id, Refusing(), None)

    open_ = await s.run(db, work)
    assert (open_.status, open_.credit_applied, open_.amount_due) == (
        InvoiceStatus.OPEN,
        4_000,
        6_000,
    )
    await s.INVOICE_VOID.ok(gql, {"invoiceId": gid("in", invoice)}, token=world.master)
    assert (await balance(gql, world))["creditBalance"]["amount"] == 4_000


async def test_a_negative_invoice_credits_the_balance(world: World, db: Database) -> None:
    from app.models.invoices import InvoiceLineKind

    async def work(uow: UnitOfWork) -> Invoice:
        draft = await service.draft_invoice(
            uow,
            customer_id=world.own.id,
            lines=[
                service.LineDraft("Unused time on Pro", -3_000, kind=InvoiceLineKind.PRORATION),
                service.LineDraft("Remaining time on Basic", 1_000, kind=InvoiceLineKind.PRORATION),
            ],
        )
        return await service.finalize_invoice(uow, draft.id)

    invoice = await s.run(db, work)
    assert (invoice.status, invoice.total, invoice.amount_due) == (InvoiceStatus.PAID, -2_000, 0)
    from app.billing.credits import repository

    async with db.write_session() as session:
        assert await repository.balance(session, world.own.id) == 2_000
