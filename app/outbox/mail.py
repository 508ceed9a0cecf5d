"""Queueing a mail: an outbox message, written in the transaction of the change that causes it.

A service that must tell a person something (an invitation, a password reset, a suspension
notice) calls `queue_mail`; the dispatcher (`app/mail/`) renders the template and sends it
through SMTP once the change committed. A secret link is given apart from the context: the
outbox writer encrypts it before it is stored, and it is erased once the mail was sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.kit.uow import UnitOfWork
from app.outbox.catalog import MAIL_PREFIX

# The data key of a message's secret link; the writer stores it encrypted (`LINK_ENCRYPTED`).
SECRET_LINK = "secretLink"  # noqa: S105  a key name
LINK_ENCRYPTED = "linkEncrypted"


def queue_mail(
    uow: UnitOfWork,
    template: str,
    *,
    to: str,
    context: dict[str, Any],
    secret_link: str | None = None,
    customer_id: uuid.UUID | None = None,
) -> None:
    data: dict[str, Any] = {"to": to, "context": context}
    if secret_link is not None:
        data[SECRET_LINK] = secret_link
    uow.publish(MAIL_PREFIX + template, data, customer_id=customer_id)
