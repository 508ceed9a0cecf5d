"""What the parts of the customers service share: limits, validation, the scoped lookup."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from app.customers import repository
from app.kit.errors import UserInputError, UserInputErrors, not_found
from app.kit.uow import UnitOfWork
from app.models import (
    Customer,
)

MAX_NAME = 200
MAX_REASON = 500
MAX_NOTE = 5000
INVITATION_TTL = timedelta(days=7)


def validated(**checks: Callable[[], str]) -> dict[str, str]:
    """Run every check and report all failures at once, as a form would."""
    values: dict[str, str] = {}
    problems: list[UserInputError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


def is_master(uow: UnitOfWork) -> bool:
    return uow.row_scope.is_everything


async def customer_in_scope(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await repository.customer_for_update(uow.session, customer_id, uow.row_scope)
    if customer is None:
        raise not_found("Customer", "customerId")
    return customer
