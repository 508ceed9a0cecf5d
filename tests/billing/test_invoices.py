"""Invoices: create (a draft), finalize, pay, void, mark uncollectible; state rules, dry runs,
idempotent replays, permissions from both sides, outbox events."""

from __future__ import annotations

from typing import Any

import pytest

from app.billing.gateway.base import ChargeRequest, ChargeResult
from app.billing.invoices import service
from app.db import Database
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice, InvoiceStatus
from tests.billing import invoice_support as s
from tests.helpers import GraphQL, World, gid


def new_invoice(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "customerId": gid("cus", world.own),
        "items": [
            {"description": "Consulting", "amount": 15_000, "quantity": 2},
            {"description": "Setup", "amount": 5_000},
        ],
        **fields,
    }


def ref(invoice: Invoice) -> dict[str, str]:
    return {"invoiceId": gid("in", invoice)}


async def test_create_makes_a_draft(gql: GraphQL, world: World, db: Database) -> None:
    payload = await s.INVOICE_CREATE.ok(gql, new_invoice(world), token=world.master)
    invoice = payload["invoice"]
    assert invoice["status"] == "DRAFT"
    assert invoice["number"] is None
    assert invoice["subtotal"] == {"amount": 35_000, "currency": "USD"}
    assert [line["amount"] for line in invoice["lines"]] == [30_000, 5_000]
    assert invoice["customer"] == {"slug": "own-co"}
    [event] = await s.events(db, "invoice.create")
    assert event.customer_id == world.own.id


async def test_create_checks_every_item(gql: GraphQL, world: World) -> None:
    items = [
        {"description": " ", "amount": 100},
        {"description": "x", "amount": -1, "quantity": 0},
    ]
    found = await s.INVOICE_CREATE.refused(gql, new_invoice(world, items=items), token=world.master)
    assert found == [
        ("REQUIRED", ["input", "items", "0", "description"]),
        ("INVALID", ["input", "items", "1", "quantity"]),
        ("INVALID", ["input", "items", "1", "amount"]),
    ]
    empty = await s.INVOICE_CREATE.refused(gql, new_invoice(world, items=[]), token=world.master)
    assert empty == [("REQUIRED", ["input", "items"])]
    long = [{"description": "x" * 501, "amount": 1}]
    too_long = await s.INVOICE_CREATE.refused(
        gql, new_invoice(world, items=long), token=world.master
    )
    assert too_long == [("TOO_LONG", ["input", "items", "0", "description"])]
    currency = await s.INVOICE_CREATE.refused(
        gql, new_invoice(world, currency="DOLLARS"), token=world.master
    )
    assert currency == [("INVALID", ["input", "currency"])]


async def test_create_for_an_unknown_customer(gql: GraphQL, world: World) -> None:
    found = await s.INVOICE_CREATE.refused(
        gql, new_invoice(world, customerId="cus_nope"), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "customerId"])]


async def test_create_dry_run_writes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    before = await s.counts(db)
    payload = await s.INVOICE_CREATE.ok(gql, new_invoice(world), token=world.master, dry_run=True)
    assert payload["invoice"]["status"] == "DRAFT"
    assert await s.counts(db) == before


async def test_create_replays_an_idempotency_key(gql: GraphQL, world: World, db: Database) -> None:
    first = await s.INVOICE_CREATE.ok(gql, new_invoice(world), token=world.master, key="k1")
    again = await s.INVOICE_CREATE.ok(gql, new_invoice(world), token=world.master, key="k1")
    assert again == first
    assert (await s.counts(db))["invoices"] == 1
    other = await s.INVOICE_CREATE.refused(
        gql, new_invoice(world, currency="EUR"), token=world.master, key="k1"
    )
    assert other == [("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])]


@pytest.mark.parametrize("who", ["owner_token", "admin_token", "member_token", "read_only_token"])
async def test_only_a_master_changes_invoices(
    gql: GraphQL, world: World, db: Database, who: str
) -> None:
    invoice = await s.draft(db, world.own)
    before = await s.counts(db)
    response = await s.INVOICE_CREATE.send(gql, new_invoice(world), token=getattr(world, who))
    assert response.codes
    assert set(response.codes) <= {"FORBIDDEN", "READ_ONLY_SESSION"}
    response = await s.INVOICE_FINALIZE.send(gql, ref(invoice), token=getattr(world, who))
    assert response.codes
    assert await s.counts(db) == before


async def test_finalize_numbers_and_publishes(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await s.draft(db, world.own)
    payload = await s.INVOICE_FINALIZE.ok(gql, ref(invoice), token=world.master)
    done = payload["invoice"]
    assert done["status"] == "OPEN"
    assert done["number"].endswith("-000001")
    assert done["amountDue"] == {"amount": 10_000, "currency": "USD"}
    [event] = await s.outbox(db, "invoice.finalized")
    assert event.customer_id == world.own.id
    assert event.data["number"] == done["number"]
    assert len(await s.events(db, "invoice.finalize")) == 1


async def test_finalize_dry_run_takes_no_number(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await s.draft(db, world.own)
    before = await s.counts(db)
    dry = await s.INVOICE_FINALIZE.ok(gql, ref(invoice), token=world.master, dry_run=True)
    assert dry["invoice"]["number"].endswith("-000001")
    assert await s.counts(db) == before
    done = await s.INVOICE_FINALIZE.ok(gql, ref(invoice), token=world.master)
    assert done["invoice"]["number"].endswith("-000001")


async def test_finalize_replays_an_idempotency_key(
    gql: GraphQL, world: World, db: Database
) -> None:
    invoice = await s.draft(db, world.own)
    first = await s.INVOICE_FINALIZE.ok(gql, ref(invoice), token=world.master, key="f")
    again = await s.INVOICE_FINALIZE.ok(gql, ref(invoice), token=world.master, key="f")
    assert again == first
    assert len(await s.outbox(db, "invoice.finalized")) == 1


async def test_pay_charges_the_local_gateway(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await s.finalized(db, world.own)
    payload = await s.INVOICE_PAY.ok(gql, ref(invoice), token=world.master)
    paid = payload["invoice"]
    assert paid["status"] == "PAID"
    assert paid["amountPaid"] == {"amount": 10_000, "currency": "USD"}
    assert paid["amountDue"]["amount"] == 0
    assert paid["attempts"] == [{"status": "SUCCEEDED", "amount": 10_000, "gateway": "local"}]
    assert len(await s.outbox(db, "invoice.paid")) == 1
    assert len(await s.events(db, "invoice.pay")) == 1


async def test_pay_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    invoice = await s.finalized(db, world.own)
    before = await s.counts(db)
    dry = await s.INVOICE_PAY.ok(gql, ref(invoice), token=world.master, dry_run=True)
    assert dry["invoice"]["status"] == "PAID"
    assert await s.counts(db) == before
    first = await s.INVOICE_PAY.ok(gql, ref(invoice), token=world.master, key="p")
    again = await s.INVOICE_PAY.ok(gql, ref(invoice), token=world.master, key="p")
    assert again == first
    assert (await s.counts(db))["payment_attempts"] == 1


class Refusing:
    name = "refusing"

    def __init__(self) -> None:
        self.keys: list[str | None] = []

    async def charge(self, charge: ChargeRequest, *, idempotency_key: str | None) -> ChargeResult:
        self.keys.append(idempotency_key)
        return ChargeResult(succeeded=False, failure_message="card declined")


async def test_a_refused_charge_is_an_attempt_and_leaves_it_open(
    world: World, db: Database
) -> None:
    invoice = await s.finalized(db, world.own)
    gateway = Refusing()

    async def pay(uow: UnitOfWork) -> Invoice:
        return await service.pay_invoice(uow, invoice.id, gateway, None)

    first = await s.run(db, pay)
    second = await s.run(db, pay)
    assert first.status is second.status is InvoiceStatus.OPEN
    assert gateway.keys == [f"{invoice.id}:attempt-1", f"{invoice.id}:attempt-2"]
    assert (await s.counts(db))["payment_attempts"] == 2
    assert len(await s.outbox(db, "invoice.payment_failed")) == 2


async def test_void_and_mark_uncollectible(gql: GraphQL, world: World, db: Database) -> None:
    voided = await s.INVOICE_VOID.ok(gql, ref(await s.finalized(db, world.own)), token=world.master)
    assert voided["invoice"]["status"] == "VOID"
    assert len(await s.outbox(db, "invoice.voided")) == 1
    lost = await s.INVOICE_MARK_UNCOLLECTIBLE.ok(
        gql, ref(await s.finalized(db, world.own)), token=world.master
    )
    assert lost["invoice"]["status"] == "UNCOLLECTIBLE"


TRANSITIONS = {
    "DRAFT": {"finalize"},
    "OPEN": {"pay", "void", "mark"},
    "PAID": set(),
    "VOID": set(),
    "UNCOLLECTIBLE": set(),
}
MUTATIONS = {
    "finalize": s.INVOICE_FINALIZE,
    "pay": s.INVOICE_PAY,
    "void": s.INVOICE_VOID,
    "mark": s.INVOICE_MARK_UNCOLLECTIBLE,
}


async def _in_status(db: Database, world: World, status: str) -> Invoice:
    if status == "DRAFT":
        return await s.draft(db, world.own)
    invoice = await s.finalized(db, world.own)
    steps = {"PAID": service.mark_uncollectible, "VOID": service.void_invoice}
    if status == "OPEN":
        return invoice

    async def move(uow: UnitOfWork) -> Invoice:
        if status == "PAID":
            from app.billing.gateway import LocalLedgerGateway

            return await service.pay_invoice(uow, invoice.id, LocalLedgerGateway(), None)
        if status == "VOID":
            return await steps["VOID"](uow, invoice.id)
        return await service.mark_uncollectible(uow, invoice.id)

    moved: Invoice = await s.run(db, move)
    return moved


@pytest.mark.parametrize("status", list(TRANSITIONS))
async def test_every_other_transition_is_invalid_state(
    gql: GraphQL, world: World, db: Database, status: str
) -> None:
    invoice = await _in_status(db, world, status)
    assert invoice.status.value == status
    for name, mutation in MUTATIONS.items():
        if name in TRANSITIONS[status]:
            continue
        found = await mutation.refused(gql, ref(invoice), token=world.master)
        assert found == [("INVALID_STATE", ["input", "invoiceId"])], (status, name)


async def test_an_unknown_invoice_is_not_found(gql: GraphQL, world: World) -> None:
    for mutation in MUTATIONS.values():
        found = await mutation.refused(gql, {"invoiceId": "in_nothing"}, token=world.master)
        assert found == [("NOT_FOUND", ["input", "invoiceId"])]


INVOICES = """
query($filter: InvoiceFilter) {
  invoices(filter: $filter) { totalCount nodes { id status customer { slug } } }
}"""


async def test_a_session_admin_reads_their_own_invoices_only(
    gql: GraphQL, world: World, db: Database
) -> None:
    mine = await s.finalized(db, world.own)
    theirs = await s.finalized(db, world.other)
    data = await gql.ok(INVOICES, token=world.owner_token)
    assert [n["id"] for n in data["invoices"]["nodes"]] == [gid("in", mine)]
    asked = await gql.ok(
        INVOICES, {"filter": {"customerId": gid("cus", world.other)}}, token=world.owner_token
    )
    assert asked["invoices"]["totalCount"] == 0
    one = "query($id: ID!) { invoice(id: $id) { id } }"
    assert (await gql.ok(one, {"id": gid("in", theirs)}, token=world.owner_token)) == {
        "invoice": None
    }
    assert (await gql.ok(one, {"id": gid("in", mine)}, token=world.owner_token))["invoice"]
    everything = await gql.ok(INVOICES, token=world.master)
    assert everything["invoices"]["totalCount"] == 2


async def test_invoices_filter_by_status_and_time(gql: GraphQL, world: World, db: Database) -> None:
    await s.draft(db, world.own)
    await s.finalized(db, world.own)
    data = await gql.ok(INVOICES, {"filter": {"status": "OPEN"}}, token=world.master)
    assert [n["status"] for n in data["invoices"]["nodes"]] == ["OPEN"]
    later = await gql.ok(INVOICES, {"filter": {"from": "2999-01-01T00:00:00Z"}}, token=world.master)
    assert later["invoices"]["totalCount"] == 0
    earlier = await gql.ok(INVOICES, {"filter": {"to": "2999-01-01T00:00:00Z"}}, token=world.master)
    assert earlier["invoices"]["totalCount"] == 2


async def test_discounts_from_the_coupons_hook(world: World, db: Database) -> None:
    invoice = await s.finalized(
        db,
        world.own,
        [6_000, 4_000],
        discounts=[
            service.DiscountDraft("Launch", coupon_code="LAUNCH", percent_off="25"),
            service.DiscountDraft("Loyalty", amount_off=500),
        ],
    )
    assert invoice.discount_total == 2_500 + 500
    assert invoice.total == 7_000
    lines = await _lines(db, invoice)
    assert [line.discount_amount for line in lines] == [1_800, 1_200]


async def _lines(db: Database, invoice: Invoice) -> list[Any]:
    from app.billing.invoices import repository

    async with db.write_session() as session:
        return await repository.lines_of(session, invoice.id)
