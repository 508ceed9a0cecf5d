"""The credit balance: grants (master)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.billing.credits import service
from app.billing.gateway import mirror
from app.graphql.billing.invoice_types import CreditTransaction
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.kit.money import Money
from app.kit.uow import UnitOfWork


@strawberry.input
class CustomerCreditGrantInput:
    customer_id: strawberry.ID
    amount: Money
    reason: str
    expires_at: datetime | None = None


@strawberry.type
class CustomerCreditGrantPayload(Payload):
    credit_transaction: CreditTransaction | None = None
    customer: Customer | None = None


@mutation(master_writer, "Grant a customer credit; invoices use it before the payment gateway.")
async def customer_credit_grant(
    info: Info, input: CustomerCreditGrantInput, uow: UnitOfWork
) -> CustomerCreditGrantPayload:
    entry = await service.grant_credit(
        uow,
        customer_id=customer_id_of(input.customer_id),
        amount=input.amount,
        reason=input.reason,
        expires_at=input.expires_at,
    )
    await mirror.credit_granted(
        uow,
        mirror.stripe_of(info.context.settings),
        customer_id=entry.customer_id,
        amount=entry.amount,
        currency=entry.currency,
        reason=entry.reason,
    )
    return CustomerCreditGrantPayload(
        credit_transaction=await read_back(uow.session, CreditTransaction, entry.id),
        customer=await read_back(uow.session, Customer, entry.customer_id),
    )
