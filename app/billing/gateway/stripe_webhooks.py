"""Receiving one verified Stripe event: store its id once, apply it, say what became of it.

The event's row is written before it is applied, so two deliveries of one event racing each
other meet at its primary key: the second waits for the first and then fails on the key,
and the caller answers it as a repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from app.billing.gateway.events import (
    Applied,
    BillingState,
    EventHistory,
    Outcome,
    StripeEventView,
    apply_event,
)
from app.kit.uow import UnitOfWork
from app.models.gateway import StripeEvent, StripeEventStatus
from app.models.tables import STRIPE_EVENTS, SUBSCRIPTIONS

StateFor = Callable[[UnitOfWork], BillingState]


class StoredHistory:
    """`EventHistory` over the `stripe_events` table, in the unit of work's transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def last_applied(self, object_id: str) -> datetime | None:
        """The newest of: the last applied event of the timeline, and the moment the admin
        override of its subscription was last cleared (the operator's state then counts as
        applied, so an event skipped under the override, or any older one, never lands)."""
        applied = await self._last_event(object_id)
        cleared = await self._override_cleared(object_id)
        moments = [moment for moment in (applied, cleared) if moment is not None]
        return max(moments) if moments else None

    async def _override_cleared(self, object_id: str) -> datetime | None:
        statement = (
            sa.select(SUBSCRIPTIONS.c.billing_override_cleared_at)
            .where(
                SUBSCRIPTIONS.c.stripe_subscription_id == object_id,
                SUBSCRIPTIONS.c.billing_override_cleared_at.is_not(None),
            )
            .order_by(SUBSCRIPTIONS.c.billing_override_cleared_at.desc())
            .limit(1)
        )
        value: datetime | None = (await self.uow.session.execute(statement)).scalar_one_or_none()
        return value

    async def _last_event(self, object_id: str) -> datetime | None:
        # The newest row rather than max(): the column's type then makes it aware UTC.
        statement = (
            sa.select(STRIPE_EVENTS.c.created)
            .where(
                STRIPE_EVENTS.c.timeline_id == object_id,
                STRIPE_EVENTS.c.status == StripeEventStatus.APPLIED.value,
            )
            .order_by(STRIPE_EVENTS.c.created.desc())
            .limit(1)
        )
        value: datetime | None = (await self.uow.session.execute(statement)).scalar_one_or_none()
        return value


async def seen(uow: UnitOfWork, event_id: str) -> bool:
    return await uow.session.get(StripeEvent, event_id) is not None


async def receive(uow: UnitOfWork, event: StripeEventView, state: BillingState) -> Applied | None:
    """Apply a new event and store it; None (nothing done) when its id was stored before."""
    if await seen(uow, event.id):
        return None
    row = StripeEvent(
        id=event.id,
        type=event.type,
        created=event.created,
        status=StripeEventStatus.IGNORED,
        object_id=event.object_id,
    )
    uow.session.add(row)
    await uow.session.flush()  # claim the id first (see the module's docstring)
    history: EventHistory = StoredHistory(uow)
    applied = await apply_event(event, state, history)
    row.status = StripeEventStatus(applied.outcome.value)
    row.timeline_id = applied.timeline_id
    row.customer_id = applied.customer_id
    row.note = applied.note
    uow.session.add(row)
    await uow.session.flush()
    if applied.outcome in (Outcome.APPLIED, Outcome.SKIPPED_OVERRIDE):
        uow.record(
            "billing.stripe_event_" + applied.outcome.value.lower(),
            "stripe_event",
            event.id[:64],
            after={"type": event.type, "object": event.object_id, "note": applied.note},
            customer_id=applied.customer_id,
        )
    return applied
