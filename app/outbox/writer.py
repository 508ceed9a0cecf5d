"""Writes a unit of work's published messages to `outbox_events`, before it commits."""

from __future__ import annotations

import sqlalchemy as sa

from app.kit import clock
from app.kit.ids import uuid7
from app.kit.uow import UnitOfWork
from app.models.tables import OUTBOX_EVENTS


class OutboxWriter:
    async def append(self, uow: UnitOfWork) -> None:
        # A dry run rolls back anyway; skipping the insert keeps even its transaction clean.
        if not uow.messages or uow.dry_run:
            uow.messages.clear()
            return
        now = clock.now()
        await uow.session.execute(
            sa.insert(OUTBOX_EVENTS),
            [
                {
                    "id": uuid7(),
                    "event_type": message.event_type,
                    "customer_id": message.customer_id,
                    "data": message.data,
                    "request_id": uow.actor.request_id,
                    "created_at": now,
                }
                for message in uow.messages
            ],
        )
        uow.messages.clear()
