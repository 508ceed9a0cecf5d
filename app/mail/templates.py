"""The mail templates: a subject, a plain-text and an HTML body each (Jinja2, autoescaped).

Every template lives in `app/mail/templates/<name>.{subject,txt,html}`; `TEMPLATES` lists them
with sample values, so an operator can preview each one (`emailPreview`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"

# The link shown wherever a secret link is redacted.
REDACTED_LINK = "[link redacted]"

TEMPLATES: dict[str, dict[str, Any]] = {
    "invitation": {"customerName": "Acme", "role": "ADMIN", "invitedBy": "Grace Hopper"},
    "password_reset": {"name": "Ada Lovelace", "expiresAt": "2026-12-01T12:00:00Z"},
    "user_suspended": {"name": "Ada Lovelace", "until": "2026-12-31T00:00:00Z", "reason": None},
    "user_blocked": {"name": "Ada Lovelace", "reason": None},
    "invoice_finalized": {
        "customerName": "Acme",
        "number": "2026-000001",
        "total": "49.00 USD",
        "amountDue": "49.00 USD",
        "paid": False,
    },
}

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_plain = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=False,  # noqa: S701  plain text and subjects are not HTML
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, context: dict[str, Any], link: str | None) -> Rendered:
    if template not in TEMPLATES:
        raise KeyError(template)
    values = {**context, "link": link}
    subject = _plain.get_template(f"{template}.subject").render(values).strip()
    return Rendered(
        subject=" ".join(subject.split()),  # no header injection through a name
        text=_plain.get_template(f"{template}.txt").render(values),
        html=_environment.get_template(f"{template}.html").render(values),
    )


def uses_link(template: str) -> bool:
    """The template shows a secret link (an invitation, a reset), so a mail of it is useless
    once its link was erased."""
    import jinja2.meta

    source = _plain.loader.get_source(_plain, f"{template}.txt")[0]  # type: ignore[union-attr]
    return "link" in jinja2.meta.find_undeclared_variables(_plain.parse(source))
