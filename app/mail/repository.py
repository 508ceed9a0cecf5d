"""SQL for mails (master only)."""

from __future__ import annotations

from app.kit.readmodel import Computed, ReadModel, registry, row_filter, staff_only
from app.models.mail import Email
from app.models.tables import EMAILS

EMAIL_MODEL = registry.register(
    ReadModel(
        name="Email",
        table=EMAILS,
        prefix=Email.PREFIX,
        fields={
            "template": "template",
            "to": "to_address",
            "subject": "subject",
            "status": "status",
            "attemptCount": "attempt_count",
            "attempts": "attempts",
            "context": "context",
            "lastError": "last_error",
            "nextAttemptAt": "next_attempt_at",
            "sentAt": "sent_at",
            "createdAt": "created_at",
            "hasLink": Computed(lambda: EMAILS.c.link_encrypted.is_not(None)),
        },
        scope=staff_only,
        filters={
            "status": row_filter(lambda value: EMAILS.c.status == value),
            "template": row_filter(lambda value: EMAILS.c.template == value),
            "to": row_filter(lambda value: EMAILS.c.to_address == value.strip().lower()),
        },
        orderings={"CREATED_AT": EMAILS.c.created_at},
        resolved=frozenset({"link"}),
    )
)
