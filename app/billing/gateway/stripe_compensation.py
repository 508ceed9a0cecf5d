"""Call, then commit: the rule that keeps local state from claiming what Stripe refused.

A mutation that changes something in Stripe calls Stripe first, inside its unit of work, and
changes its own rows only once Stripe said yes; a refusal becomes the mutation's userError and
nothing local is written. What remains is the other order of failure: Stripe said yes, then the
local part failed (a constraint, a business rule found late, a failed commit). Then the Stripe
change is undone by its compensation (delete the customer, cancel the subscription, refund the
charge, void the credit note, reverse the balance grant), which runs after the failed unit of
work in a fresh one of its own and leaves an audit event either way: `billing.stripe_compensated`
or, when Stripe refused the undo too, `billing.stripe_compensation_failed` (for an operator to
finish by hand). A dry run never reaches Stripe: the preview is computed locally.

    created = await call_then_commit(
        uow,
        lambda: gateway.ensure_customer(customer_id=..., name=..., idempotency_key=key),
        compensate=gateway.undo_customer,
        what="customer",
        customer_id=customer.id,
    )
    subscription.stripe_customer_id = created      # the local write, after Stripe's yes
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.billing.gateway.stripe_types import GatewayError
from app.kit.uow import UnitOfWork

T = TypeVar("T")

COMPENSATED = "billing.stripe_compensated"
COMPENSATION_FAILED = "billing.stripe_compensation_failed"


async def call_then_commit(
    uow: UnitOfWork,
    call: Callable[[], Awaitable[T]],
    compensate: Callable[[T], Awaitable[object]],
    *,
    what: str,
    customer_id: uuid.UUID | None = None,
) -> T:
    """Make the Stripe call of this unit of work; undo it if the work then does not commit.

    A `GatewayError` from the call propagates untouched (nothing was done, nothing to undo):
    the service turns it into a userError. `what` names the Stripe object in the audit trail.
    """
    if uow.dry_run:
        raise RuntimeError("a dry run must not reach Stripe; compute the preview locally")
    result = await call()

    async def undo(compensation: UnitOfWork) -> None:
        target = str(getattr(result, "id", result))[:64]
        try:
            await compensate(result)
        except GatewayError as error:
            compensation.record(
                COMPENSATION_FAILED,
                "stripe_" + what,
                target,
                after={"error": error.message},
                customer_id=customer_id,
            )
            return
        compensation.record(
            COMPENSATED, "stripe_" + what, target, after={"undone": True}, customer_id=customer_id
        )

    uow.compensations.append(undo)
    return result
