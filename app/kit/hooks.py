"""Hooks through which a lower domain tells the ones above it that something changed.

Imports only go downwards (docs/architecture.md: layers), so the customers domain cannot call
the keys domain when a customer is deactivated. Instead it calls `customer_changed(uow, id)`
here, and every domain above that keeps something derived from a customer (API keys keep its
status and plan limits) subscribes with `on_customer_changed` when it is imported
(`app/runtime.py` imports them, so every process has them). Subscribers run inside the same
unit of work: when one fails, it raises and the whole change is rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.kit.uow import UnitOfWork

CustomerHook = Callable[["UnitOfWork", uuid.UUID], Awaitable[object]]

_customer_changed: list[CustomerHook] = []


def on_customer_changed(hook: CustomerHook) -> CustomerHook:
    """Subscribe `hook` (once, however often its module is imported)."""
    if hook not in _customer_changed:
        _customer_changed.append(hook)
    return hook


async def customer_changed(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """A customer's status or plan changed in `uow`: let every subscriber follow suit."""
    for hook in list(_customer_changed):
        await hook(uow, customer_id)


def customer_changed_at_commit(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """`customer_changed` and `subscription_changed` once per customer, when `uow` is about
    to commit (before its audit events and outbox messages are written).

    For services that change a customer several times in one unit of work (a subscription's
    plan, status and limits): the subscribers see the final state once. A subscriber that
    fails still rolls everything back; a dry run, which never commits, does not run them."""
    if customer_id in uow.changed_customers:
        return
    uow.changed_customers.add(customer_id)

    async def notify(done: UnitOfWork) -> None:
        await customer_changed(done, customer_id)
        await subscription_changed(done, customer_id)

    uow.before_commit.insert(0, notify)


# A customer's subscription changed status (canceled, past due, paid again, a new one):
# the licenses domain, above billing, holds or releases the customer's licenses.
_subscription_changed: list[CustomerHook] = []


def on_subscription_changed(hook: CustomerHook) -> CustomerHook:
    if hook not in _subscription_changed:
        _subscription_changed.append(hook)
    return hook


async def subscription_changed(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """Call after changing the status of a customer's subscription, inside the same work."""
    for hook in list(_subscription_changed):
        await hook(uow, customer_id)
