"""Input checks shared by services; each failure is a `UserInputError` naming its field."""

from __future__ import annotations

import re

from app.kit.errors import ErrorCode, UserInputError

MAX_EMAIL_LENGTH = 320
# Text from clients never holds U+0000: PostgreSQL cannot store it in a text column.
NUL = "\x00"
NUL_REFUSED = "Text may not contain the NUL character (U+0000)."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def checked_email(email: str, field: str = "email") -> str:
    """`email` normalized (trimmed, lower case), or an INVALID user error."""
    normalized = normalize_email(email)
    if len(normalized) > MAX_EMAIL_LENGTH or not _EMAIL.match(normalized):
        raise UserInputError("Enter a valid email address.", ErrorCode.INVALID, field)
    return normalized


def checked_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """`value` trimmed; REQUIRED when blank (if required), TOO_LONG past `limit` characters."""
    text = value.strip()
    if required and not text:
        raise UserInputError("This field is required.", ErrorCode.REQUIRED, field)
    if len(text) > limit:
        raise UserInputError(f"At most {limit} characters.", ErrorCode.TOO_LONG, field)
    return text


def checked_slug(value: str, field: str = "slug") -> str:
    slug = value.strip().lower()
    if not _SLUG.match(slug):
        raise UserInputError(
            "Use 1–64 lowercase letters, digits and inner hyphens (e.g. `acme-corp`).",
            ErrorCode.INVALID,
            field,
        )
    return slug
