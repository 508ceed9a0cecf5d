"""Writes a unit of work's published messages to `outbox_events`, before it commits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.kit import clock
from app.kit.crypto import encrypt
from app.kit.ids import uuid7
from app.kit.uow import OutboxMessage, UnitOfWork
from app.models.tables import OUTBOX_EVENTS
from app.outbox.mail import LINK_ENCRYPTED, SECRET_LINK


class OutboxWriter:
    def __init__(self, secret_key: str | None = None) -> None:
        # Encrypts a mail's secret link before it is stored (`app/outbox/mail.py`).
        self.secret_key = secret_key

    def _stored(self, message: OutboxMessage) -> dict[str, Any]:
        data = message.data
        if SECRET_LINK in data:
            if self.secret_key is None:
                raise RuntimeError("a secret link needs the secret key to be stored")
            data = {key: value for key, value in data.items() if key != SECRET_LINK}
            data[LINK_ENCRYPTED] = encrypt(self.secret_key, message.data[SECRET_LINK])
        return data

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
                    "data": self._stored(message),
                    "request_id": uow.actor.request_id,
                    "created_at": now,
                }
                for message in uow.messages
            ],
        )
        uow.messages.clear()
