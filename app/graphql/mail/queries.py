"""Mail queries (master only): the mails, and a preview of each template."""

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.mail.types import Email, EmailPreview
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import master_only
from app.graphql.root import query
from app.graphql.scalars import JSON
from app.kit.errors import ErrorCode, RequestError
from app.mail.repository import EMAIL_MODEL
from app.mail.templates import TEMPLATES, render
from app.models.mail import EmailStatus

# Previews never show a real secret link.
PREVIEW_LINK = "https://admiral.example/preview-link"


@strawberry.input
class EmailFilter:
    status: EmailStatus | None = None
    template: str | None = None
    to: str | None = None


@query(master_only, "Mails sent or waiting to be sent, newest first.")
async def emails(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: EmailFilter | None = None,
) -> Connection[Email] | None:
    given = filter or EmailFilter()
    return await paginate(
        info,
        EMAIL_MODEL,
        Email.from_row,
        first=first,
        after=after,
        filters={
            "status": given.status,
            "template": given.template[:64] if given.template else None,
            "to": given.to[:320] if given.to else None,
        },
    )


@query(master_only, "The names of the mail templates.")
def email_templates(info: Info) -> list[str] | None:
    return sorted(TEMPLATES)


@query(master_only, "Render a mail template with its sample values, overridden by `values`.")
def email_preview(info: Info, template: str, values: JSON | None = None) -> EmailPreview | None:
    if template not in TEMPLATES:
        raise RequestError(
            f"Unknown template {template[:64]!r}; see emailTemplates.", ErrorCode.BAD_USER_INPUT
        )
    given: dict[str, object] = values if isinstance(values, dict) else {}
    context = {
        **TEMPLATES[template],
        **{key: given[key] for key in given if key in TEMPLATES[template]},
    }
    rendered = render(template, context, PREVIEW_LINK)
    return EmailPreview(subject=rendered.subject, text=rendered.text, html=rendered.html)
