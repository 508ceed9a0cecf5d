"""The mail dispatcher: queued mails (outbox events `mail.*`) become `emails` rows and go out
through SMTP.

Like the webhook dispatcher (`app/webhooks/dispatcher.py`, claims in `app/outbox/claim.py`):
fan-out claims pending `mail.*` events and writes one mail each, in one transaction; due mails
are leased, sent, and their attempt recorded under the lease, with the same back-off and a
bounded number of attempts. A secret link stays encrypted in the row until the mail was sent,
then it is erased. Without an SMTP server configured, mails are kept (status `QUEUED`) and
listed in `emails`; the log says one was queued, never what it holds.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.crypto import decrypt
from app.kit.ids import encode, uuid7
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.mail.templates import TEMPLATES, render
from app.models.mail import Email, EmailStatus
from app.models.tables import EMAILS, OUTBOX_EVENTS
from app.outbox.catalog import MAIL_PREFIX
from app.outbox.claim import HELD, claim_due, claim_events
from app.outbox.mail import LINK_ENCRYPTED
from app.outbox.schedule import MAX_ATTEMPTS, next_attempt
from app.settings import Settings

log = logging.getLogger(__name__)

ACTOR = Actor.system("mail-dispatcher")
BATCH = 50


class SmtpTransport:
    """Sends one message to the server of `ADMIRAL_SMTP_URL` (smtp://, smtps:// for TLS)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.hostname = parts.hostname or "localhost"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=None if not self.use_tls else False,
            timeout=self.timeout,
        )


class MailDispatcher:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.secret_key = settings.resolved_secret_key()
        self.mail_from = settings.mail_from
        self.reply_to = settings.mail_reply_to
        timeout = settings.webhooks_connect_timeout + settings.webhooks_read_timeout
        self.transport = SmtpTransport(settings.smtp_url, timeout) if settings.smtp_url else None
        self.lease = timedelta(seconds=timeout + 30)
        self._released = False

    async def _run(self, work: Any) -> Any:
        return await self.db.run(work, actor=ACTOR, row_scope=EVERYTHING)

    async def fan_out(self) -> int:
        async def work(uow: UnitOfWork) -> int:
            events = await claim_events(
                uow.session,
                uow.dialect,
                OUTBOX_EVENTS.c.event_type.startswith(MAIL_PREFIX),
                BATCH,
                clock.now(),
            )
            now = clock.now()
            rows = []
            for event in events:
                template = event.event_type.removeprefix(MAIL_PREFIX)
                data: dict[str, Any] = event.data
                if template not in TEMPLATES:
                    log.error("a mail of unknown template %s was dropped", template)
                    continue
                context = dict(data.get("context") or {})
                subject = render(template, context, None).subject
                rows.append(
                    {
                        "id": uuid7(),
                        "event_id": event.id,
                        "customer_id": event.customer_id,
                        "template": template,
                        "to_address": str(data.get("to", "")),
                        "subject": subject[:300],
                        "context": context,
                        "link_encrypted": data.get(LINK_ENCRYPTED),
                        "status": EmailStatus.PENDING if self.transport else EmailStatus.QUEUED,
                        "attempt_count": 0,
                        "next_attempt_at": now,
                        "attempts": [],
                        "created_at": now,
                    }
                )
            if rows:
                await uow.session.execute(sa.insert(EMAILS), rows)
                # The link now lives in the mail only: the event keeps no copy.
                await uow.session.execute(
                    sa.update(OUTBOX_EVENTS)
                    .where(OUTBOX_EVENTS.c.id.in_([row["event_id"] for row in rows]))
                    .values(data=sa.literal({"redacted": True}, OUTBOX_EVENTS.c.data.type))
                )
                if self.transport is None:
                    for row in rows:
                        log.info(
                            "mail %s (%s) queued: no SMTP server is configured",
                            encode(Email.PREFIX, row["id"]),
                            row["template"],
                        )
            return len(events)

        count: int = await self._run(work)
        return count

    def message(self, email: Email) -> EmailMessage:
        link = decrypt(self.secret_key, email.link_encrypted) if email.link_encrypted else None
        rendered = render(email.template, email.context, link)
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = email.to_address
        message["Subject"] = rendered.subject
        message["Message-ID"] = f"<{encode(Email.PREFIX, email.id)}@admiral>"
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    async def claim(self) -> tuple[uuid.UUID, list[Email]]:
        async def work(uow: UnitOfWork) -> tuple[uuid.UUID, list[Email]]:
            token, ids = await claim_due(
                uow.session, uow.dialect, EMAILS, [], BATCH, clock.now(), self.lease
            )
            if not ids:
                return token, []
            found = await uow.session.execute(sa.select(Email).where(EMAILS.c.id.in_(ids)))
            return token, list(found.scalars())

        claimed: tuple[uuid.UUID, list[Email]] = await self._run(work)
        return claimed

    async def record(self, token: uuid.UUID, email: Email, error: str | None) -> None:
        async def work(uow: UnitOfWork) -> None:
            now = clock.now()
            attempts = email.attempt_count + 1
            retry_at = None if error is None else next_attempt(attempts, now)
            values: dict[str, Any] = {
                "attempt_count": attempts,
                "attempts": [*email.attempts, {"at": now.isoformat(), "error": error}],
                "last_error": error,
                "next_attempt_at": retry_at,
                "lease_token": None,
                "lease_until": None,
            }
            if error is None:
                values |= {"status": EmailStatus.SENT, "sent_at": now, "link_encrypted": None}
            elif retry_at is None:
                values |= {"status": EmailStatus.FAILED, "link_encrypted": None}
            await uow.session.execute(
                sa.update(EMAILS)
                .where(EMAILS.c.id == email.id, EMAILS.c.lease_token == token)
                .values(**values)
            )

        await self._run(work)

    async def _release_queued(self) -> None:
        """Mails kept while no SMTP server was configured go out once one is."""

        async def work(uow: UnitOfWork) -> None:
            await uow.session.execute(
                sa.update(EMAILS)
                .where(EMAILS.c.status == EmailStatus.QUEUED)
                .values(status=EmailStatus.PENDING, next_attempt_at=clock.now())
            )

        await self._run(work)
        self._released = True

    async def step(self) -> int:
        while await self.fan_out() == BATCH:
            pass
        if self.transport is None:
            return 0
        if not self._released:
            await self._release_queued()
        token, claimed = await self.claim()
        for email in claimed:
            error = None
            try:
                await self.transport.send(self.message(email))
            except (aiosmtplib.SMTPException, OSError) as failure:
                # The class only: a server's answer may quote the message back.
                error = f"SMTP failed: {type(failure).__name__}."
                log.warning("mail %s not sent: %s", encode(Email.PREFIX, email.id), error)
            await self.record(token, email, error)
        HELD.done(token)
        return len(claimed)


__all__ = ["MAX_ATTEMPTS", "MailDispatcher"]
