"""Test clocks (master only, and only when `ADMIRAL_BILLING_TEST_CLOCKS` is on): advance a
customer's billing time through renewals, trial ends and retries; a declining test payment
method for the local ledger."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.billing.gateway import mirror
from app.billing.renewal import testclock
from app.billing.renewal.service import Policy
from app.graphql.billing.invoice_types import Invoice
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.models.billing import BillingTestClock as ClockRow


@strawberry.type(description="A customer's billing test clock.")
class BillingTestClock:
    frozen_time: datetime = strawberry.field(
        description="The customer's billing now: renewals have run up to it."
    )
    decline_payments: bool = strawberry.field(
        description="The local ledger declines this customer's charges (test payment method)."
    )

    @classmethod
    def of(cls, row: ClockRow) -> BillingTestClock:
        return cls(frozen_time=row.frozen_time, decline_payments=row.decline_payments)


def _require_test_clocks(info: Info) -> None:
    if not info.context.settings.billing_test_clocks:
        raise UserInputError(
            "Test clocks are off on this server (ADMIRAL_BILLING_TEST_CLOCKS).",
            ErrorCode.TEST_CLOCKS_DISABLED,
            "customerId",
        )


@strawberry.input
class BillingClockAdvanceInput:
    customer_id: strawberry.ID
    to: datetime = strawberry.field(
        description="The new billing now of the customer (later than its clock; the first "
        "advance starts the clock at the real now)."
    )


@strawberry.type
class BillingClockAdvancePayload(Payload):
    test_clock: BillingTestClock | None = None
    invoices: list[Invoice] = strawberry.field(
        default_factory=list,
        description="The renewal invoices the advance created (with dryRun: would create).",
    )
    customer: Customer | None = None


@mutation(
    master_writer,
    "Advance a customer's test clock: run their renewals, trial ends and payment retries up to "
    "`to` (only with ADMIRAL_BILLING_TEST_CLOCKS).",
)
async def billing_clock_advance(
    info: Info, input: BillingClockAdvanceInput, uow: UnitOfWork
) -> BillingClockAdvancePayload:
    _require_test_clocks(info)
    settings = info.context.settings
    done = await testclock.advance(
        uow,
        customer_id=customer_id_of(input.customer_id),
        to=input.to,
        gateway=mirror.charging_gateway(uow, settings),
        policy=Policy.of(settings),
    )
    return BillingClockAdvancePayload(
        test_clock=BillingTestClock.of(done.test_clock),
        invoices=[await read_back(uow.session, Invoice, found.id) for found in done.invoices],
        customer=await read_back(uow.session, Customer, done.test_clock.customer_id),
    )


@strawberry.input
class BillingTestPaymentMethodSetInput:
    customer_id: strawberry.ID
    decline: bool = strawberry.field(
        description="True: the local ledger declines this customer's charges from now on."
    )


@strawberry.type
class BillingTestPaymentMethodSetPayload(Payload):
    test_clock: BillingTestClock | None = None


@mutation(
    master_writer,
    "Give a customer a declining (or working) test payment method, to rehearse failed "
    "renewals (only with ADMIRAL_BILLING_TEST_CLOCKS; starts the customer's test clock).",
)
async def billing_test_payment_method_set(
    info: Info, input: BillingTestPaymentMethodSetInput, uow: UnitOfWork
) -> BillingTestPaymentMethodSetPayload:
    _require_test_clocks(info)
    row = await testclock.set_payment_method(
        uow, customer_id=customer_id_of(input.customer_id), decline=input.decline
    )
    return BillingTestPaymentMethodSetPayload(test_clock=BillingTestClock.of(row))
