"""A real local HTTP receiver for webhook tests, and helpers to run the dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Customer
from app.models.tables import OUTBOX_EVENTS, WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES
from app.settings import Settings
from app.webhooks import service
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.sender import Policy
from tests.support import rows


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers every POST with `status` (a list: one status per request, the last repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _status(self) -> int:
        index = min(len(self.received) - 1, len(self.statuses) - 1)
        return self.statuses[index]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Received(path, headers, body))
                status = self._status()
                answer = b'{"ok": true}'
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(answer)}\r\n"
                    "Content-Type: application/json\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiver(*statuses: int) -> AsyncIterator[Receiver]:
    found = Receiver(list(statuses) or [200])
    server = await asyncio.start_server(found._serve, "127.0.0.1", 0)
    found.port = server.sockets[0].getsockname()[1]
    try:
        yield found
    finally:
        server.close()


LOCAL = Policy(allow_http=True, allow_private=True)


def local_settings(settings: Settings, **overrides: Any) -> Settings:
    """The test settings with http and local addresses allowed (the receiver runs here)."""
    values = {"webhooks_allow_http": True, "webhooks_allow_private": True, **overrides}
    return settings.model_copy(update=values)


async def endpoint(
    db: Database,
    customer: Customer,
    url: str,
    event_types: list[str] | None = None,
    settings: Settings | None = None,
) -> service.IssuedEndpoint:
    async def work(uow: UnitOfWork) -> service.IssuedEndpoint:
        return await service.create_endpoint(
            uow,
            customer_id=customer.id,
            url=url,
            event_types=event_types or ["customer.updated", "member.added"],
            description=None,
            secret_key=settings.resolved_secret_key()
            if settings
            else "test-secret-key-not-for-production-use",
            policy=LOCAL,
        )

    return await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)


async def publish(db: Database, event_type: str, customer: Customer, **data: Any) -> None:
    async def work(uow: UnitOfWork) -> None:
        uow.publish(event_type, data, customer_id=customer.id)

    await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)


async def deliveries(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(WEBHOOK_DELIVERIES).order_by(WEBHOOK_DELIVERIES.c.created_at))


async def attempts(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(WEBHOOK_ATTEMPTS).order_by(WEBHOOK_ATTEMPTS.c.attempted_at))


async def outbox(db: Database, *event_types: str) -> list[sa.Row[Any]]:
    statement = sa.select(OUTBOX_EVENTS).order_by(OUTBOX_EVENTS.c.created_at)
    if event_types:
        statement = statement.where(OUTBOX_EVENTS.c.event_type.in_(event_types))
    return await rows(db, statement)


@asynccontextmanager
async def dispatcher(
    db: Database, settings: Settings, **overrides: Any
) -> AsyncIterator[Dispatcher]:
    running = Dispatcher(db, local_settings(settings, **overrides))
    try:
        yield running
    finally:
        await running.close()
