"""Invoice queries and mutations (mutations: master only; reads: a session admin sees their own
customers' invoices)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.billing.gateway import mirror
from app.billing.gateway.base import BillingGateway
from app.billing.invoices import service
from app.billing.invoices.repository import INVOICE_MODEL
from app.billing.renewal import invoicing
from app.billing.renewal.testclock import gateway_for_customer
from app.graphql.billing.billing_time import customer_time, invoice_time
from app.graphql.billing.invoice_types import CreditNote, Invoice
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.model_types import by_id_loader, read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated, master_writer
from app.graphql.root import query
from app.kit.uow import UnitOfWork
from app.models.invoices import CreditNoteReason, InvoiceStatus, RefundTo
from app.models.invoices import Invoice as InvoiceRow


@strawberry.input
class InvoiceFilter:
    customer_id: strawberry.ID | None = None
    status: InvoiceStatus | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Created at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Created before.")


@query(authenticated, "Invoices, newest first; a session admin sees their customers' only.")
async def invoices(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: InvoiceFilter | None = None,
) -> Connection[Invoice]:
    given = filter or InvoiceFilter()
    customer_id = (
        parse_id(given.customer_id, "cus", "filter.customerId")
        if given.customer_id is not None
        else None
    )
    return await paginate(
        info,
        INVOICE_MODEL,
        Invoice.from_row,
        first=first,
        after=after,
        filters={
            "customer_id": customer_id,
            "status": given.status,
            "from": given.from_,
            "to": given.to,
        },
    )


@query(authenticated, "One invoice; null when absent or outside the caller's scope.")
async def invoice(info: Info, id: strawberry.ID) -> Invoice | None:
    found: Invoice | None = await by_id_loader(info, INVOICE_MODEL).load(
        parse_id(id, INVOICE_MODEL.prefix)
    )
    return found


def invoice_id_of(value: strawberry.ID) -> uuid.UUID:
    found: uuid.UUID = input_id(value, Invoice.PREFIX, "invoiceId", "Invoice")
    return found


@strawberry.input
class InvoiceItemInput:
    description: str
    amount: int = strawberry.field(description="Unit amount in minor units (≥ 0).")
    quantity: int = 1


@strawberry.input
class InvoiceCreateInput:
    customer_id: strawberry.ID
    items: list[InvoiceItemInput]
    currency: str = "USD"


@strawberry.type
class InvoicePayload(Payload):
    invoice: Invoice | None = None


@mutation(master_writer, "Create a DRAFT invoice from items; finalize it to number and tax it.")
async def invoice_create(info: Info, input: InvoiceCreateInput, uow: UnitOfWork) -> InvoicePayload:
    async with customer_time(uow, customer_id_of(input.customer_id)):
        created = await service.draft_invoice(
            uow,
            customer_id=customer_id_of(input.customer_id),
            currency=input.currency,
            lines=[
                service.LineDraft(item.description, unit_amount=item.amount, quantity=item.quantity)
                for item in input.items
            ],
        )
        return InvoicePayload(invoice=await read_back(uow.session, Invoice, created.id))


@strawberry.input
class InvoiceFinalizeInput:
    invoice_id: strawberry.ID


@mutation(
    master_writer,
    "DRAFT → OPEN: number it, apply the customer's active discounts and tax (a subscription "
    "invoice also takes the customer's pending proration items).",
)
async def invoice_finalize(
    info: Info, input: InvoiceFinalizeInput, uow: UnitOfWork
) -> InvoicePayload:
    async with invoice_time(uow, invoice_id_of(input.invoice_id)):
        done = await invoicing.finalize(uow, invoice_id_of(input.invoice_id))
        return InvoicePayload(invoice=await read_back(uow.session, Invoice, done.id))


@strawberry.input
class InvoicePayInput:
    invoice_id: strawberry.ID


@mutation(
    master_writer,
    "OPEN → PAID: the credit balance first, then the payment gateway for the rest. A refused "
    "charge is recorded in `attempts` and leaves the invoice OPEN.",
)
async def invoice_pay(info: Info, input: InvoicePayInput, uow: UnitOfWork) -> InvoicePayload:
    async with invoice_time(uow, invoice_id_of(input.invoice_id)):
        invoice_id = invoice_id_of(input.invoice_id)
        # Stripe when configured (never on a dry run: the preview charges the local ledger).
        gateway: BillingGateway = mirror.charging_gateway(uow, info.context.settings)
        found = await uow.session.get(InvoiceRow, invoice_id)
        if found is not None:  # the customer's test payment method, if any
            gateway = await gateway_for_customer(uow, found.customer_id, gateway)
        done = await service.pay_invoice(uow, invoice_id, gateway, uow.idempotency_key)
        return InvoicePayload(invoice=await read_back(uow.session, Invoice, done.id))


@strawberry.input
class InvoiceVoidInput:
    invoice_id: strawberry.ID


@mutation(master_writer, "OPEN → VOID; credit it used returns to the balance.")
async def invoice_void(info: Info, input: InvoiceVoidInput, uow: UnitOfWork) -> InvoicePayload:
    async with invoice_time(uow, invoice_id_of(input.invoice_id)):
        done = await service.void_invoice(uow, invoice_id_of(input.invoice_id))
        return InvoicePayload(invoice=await read_back(uow.session, Invoice, done.id))


@strawberry.input
class InvoiceMarkUncollectibleInput:
    invoice_id: strawberry.ID


@mutation(master_writer, "OPEN → UNCOLLECTIBLE.")
async def invoice_mark_uncollectible(
    info: Info, input: InvoiceMarkUncollectibleInput, uow: UnitOfWork
) -> InvoicePayload:
    async with invoice_time(uow, invoice_id_of(input.invoice_id)):
        done = await service.mark_uncollectible(uow, invoice_id_of(input.invoice_id))
        return InvoicePayload(invoice=await read_back(uow.session, Invoice, done.id))


@strawberry.input
class CreditNoteLineInput:
    invoice_line_id: strawberry.ID
    amount: int


@strawberry.input
class CreditNoteCreateInput:
    invoice_id: strawberry.ID
    reason: CreditNoteReason
    refund_to: RefundTo
    amount: int | None = strawberry.field(default=None, description="Minor units; or `lines`.")
    lines: list[CreditNoteLineInput] | None = None
    memo: str | None = None


@strawberry.type
class CreditNoteCreatePayload(Payload):
    credit_note: CreditNote | None = None
    invoice: Invoice | None = None


@mutation(
    master_writer,
    "Credit an OPEN or PAID invoice, never above what remains (AMOUNT_TOO_LARGE).",
)
async def credit_note_create(
    info: Info, input: CreditNoteCreateInput, uow: UnitOfWork
) -> CreditNoteCreatePayload:
    async with invoice_time(uow, invoice_id_of(input.invoice_id)):
        lines = None
        if input.lines is not None:
            lines = [
                service.CreditNoteLineDraft(
                    invoice_line_id=input_id(line.invoice_line_id, "inl", "lines", "Invoice line"),
                    amount=line.amount,
                )
                for index, line in enumerate(input.lines)
            ]
        note = await service.create_credit_note(
            uow,
            invoice_id=invoice_id_of(input.invoice_id),
            amount=input.amount,
            lines=lines,
            reason=input.reason,
            memo=input.memo,
            refund_to=input.refund_to,
        )
        invoice = await uow.session.get(InvoiceRow, note.invoice_id)
        assert invoice is not None
        await mirror.credit_note_created(
            uow, mirror.stripe_of(info.context.settings), note, invoice
        )
        return CreditNoteCreatePayload(
            credit_note=await read_back(uow.session, CreditNote, note.id),
            invoice=await read_back(uow.session, Invoice, note.invoice_id),
        )
