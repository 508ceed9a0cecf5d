"""The one rule for date ranges given by callers (GraphQL arguments, export query strings):
inclusive UTC days, `from` ≤ `to` (else `RANGE_REVERSED`), at most 366 days (else
`RANGE_TOO_LONG`); a day that is not `YYYY-MM-DD` is `INVALID`. REST turns the error into a 400
with the same code and field."""

from __future__ import annotations

import re
from datetime import date

from app.kit.errors import ErrorCode, UserInputError

MAX_DAYS = 366
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def check(start: date, end: date, fields: tuple[str, str] = ("from", "to")) -> None:
    """Refuse a reversed range (naming its start) or one over `MAX_DAYS` (naming its end)."""
    if start > end:
        raise UserInputError(
            f"`{fields[0]}` must not be after `{fields[1]}`.", ErrorCode.RANGE_REVERSED, fields[0]
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise UserInputError(
            f"A range covers at most {MAX_DAYS} days.", ErrorCode.RANGE_TOO_LONG, fields[1]
        )


def parse_day(value: str | None, field: str) -> date | None:
    """A `YYYY-MM-DD` day from a query string (None when absent or empty)."""
    if value is None or value == "":
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UserInputError(
            f"`{field}` must be a date as YYYY-MM-DD.", ErrorCode.INVALID, field
        ) from None
