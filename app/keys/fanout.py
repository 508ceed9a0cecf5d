"""Fan-out: what a key copies from its customer (enabled, plan limits) follows every change.

A customer's deactivation, reactivation or plan change reaches this module through
`app.kit.hooks.customer_changed` (the customers domain sits below this one and cannot call it);
the billing domain's plan changes call `refresh_customer_keys` the same way. Every key is
updated inside the caller's unit of work: when one fails, the error names it and the whole
change, the customer's own included, is rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from app.keys import repository
from app.keys.limits import limits_for
from app.kit import clock, hooks
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.models.customers import CustomerStatus
from app.models.keys import ApiKey

# Called before each key is changed, with the key and its position (from 1). Empty in
# production: it lets a test make the Nth key of a fan-out fail for real, mid-way.
before_key_update: list[Callable[[ApiKey, int], None]] = []


async def customer_state(uow: UnitOfWork, customer_id: uuid.UUID) -> dict[str, Any]:
    """The columns a key of this customer copies: enabled, plan code and limits."""
    status = await repository.customer_status(uow.session, customer_id)
    limits = (await limits_for(uow.session, [customer_id]))[customer_id]
    return {
        "enabled": status is not CustomerStatus.DEACTIVATED,
        "plan_code": limits.plan_code,
        "rate_per_second": limits.rate_per_second,
        "monthly_quota": limits.monthly_quota,
    }


async def refresh_customer_keys(uow: UnitOfWork, customer_id: uuid.UUID) -> int:
    """Bring every key of the customer in line with its status and limits; how many changed.

    All or nothing: a failure raises FANOUT_FAILED naming the key, and the caller's unit of
    work rolls back everything, the keys already changed included."""
    await uow.session.flush()  # the caller's pending change (a new plan) is what keys follow
    state = await customer_state(uow, customer_id)
    keys = await repository.keys_of_customer(uow.session, customer_id)
    changed = 0
    for position, key in enumerate(keys, start=1):
        if all(getattr(key, name) == value for name, value in state.items()):
            continue
        try:
            for hook in before_key_update:
                hook(key, position)
            for name, value in state.items():
                setattr(key, name, value)
            key.updated_at = clock.now()
            await uow.session.flush()
        except Exception as error:
            raise UserInputError(
                f"Updating API key {key.start}… ({position} of {len(keys)}) failed: "
                f"{type(error).__name__}. Nothing was changed.",
                ErrorCode.FANOUT_FAILED,
                "customerId",
            ) from error
        changed += 1
    return changed


hooks.on_customer_changed(refresh_customer_keys)
