"""GraphQL types of mails."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from sqlalchemy import select

from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.scalars import JSON
from app.kit.crypto import decrypt
from app.mail.repository import EMAIL_MODEL
from app.mail.templates import REDACTED_LINK
from app.models.mail import EmailStatus
from app.models.tables import EMAILS

EmailStatusEnum = strawberry.enum(
    EmailStatus,
    name="EmailStatus",
    description="QUEUED: kept because no SMTP server is configured.",
)


@model_type(EMAIL_MODEL, description="A mail to a person: queued, sent or failed.")
class Email(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    template: str
    to: str
    subject: str
    status: EmailStatus
    context: JSON = strawberry.field(description="The template's values (never a secret).")
    attempt_count: int
    attempts: JSON = strawberry.field(description="Each attempt: {at, error}.")
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    has_link: bool = strawberry.field(description="It carries a secret link not yet sent.")

    @strawberry.field(
        description="The secret link: redacted unless ADMIRAL_MAIL_SHOW_LINKS is on "
        "(development); null once sent."
    )
    async def link(self, info: Info) -> str | None:
        if not self.has_link:
            return None
        if not info.context.settings.mail_show_links:
            return REDACTED_LINK
        # Development only: one lookup per mail is fine there.
        ciphertext = await info.context.reader.scalar(
            select(EMAILS.c.link_encrypted).where(EMAILS.c.id == self.pk)
        )
        if ciphertext is None:
            return None
        return decrypt(info.context.runtime.secret_key, ciphertext)


@strawberry.type(description="A template rendered with sample or given values.")
class EmailPreview:
    subject: str
    text: str
    html: str
