"""A real SMTP server (aiosmtpd) in the test's event loop, and the mail dispatcher."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.db import Database
from app.mail.dispatcher import MailDispatcher
from app.models.tables import EMAILS
from app.settings import Settings
from tests.support import rows


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    @staticmethod
    def text(message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    @staticmethod
    def html(message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("html",))
        assert body is not None
        return str(body.get_content())


@asynccontextmanager
async def smtp_server() -> AsyncIterator[Inbox]:
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox), "127.0.0.1", 0)
    inbox.port = server.sockets[0].getsockname()[1]
    try:
        yield inbox
    finally:
        server.close()


def mail_settings(settings: Settings, port: int | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_url": f"smtp://127.0.0.1:{port}" if port else None,
        "mail_from": "Admiral <admiral@example.test>",
        "mail_reply_to": "support@example.test",
        "webhooks_connect_timeout": 2.0,
        "webhooks_read_timeout": 2.0,
        **overrides,
    }
    return settings.model_copy(update=values)


def dispatcher(
    db: Database, settings: Settings, port: int | None, **overrides: Any
) -> MailDispatcher:
    return MailDispatcher(db, mail_settings(settings, port, **overrides))


async def emails(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(EMAILS).order_by(EMAILS.c.created_at))
