"""Periods and date ranges of the metrics and exports: optional, defaulting to the current
month in UTC, validated (`from` ≤ `to`, at most 366 days) with coded errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError

MAX_DAYS = 366
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class DateRange:
    """Whole UTC days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def previous(self) -> DateRange:
        """The range of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return DateRange(end - timedelta(days=self.days - 1), end)

    def label(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def month_of(day: date) -> DateRange:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return DateRange(first, following - timedelta(days=1))


def current_month() -> DateRange:
    return month_of(clock.now().date())


def checked_range(
    start: date | None, end: date | None, field: tuple[str, str] = ("from", "to")
) -> DateRange:
    """The range given, either end defaulting to the current month's."""
    month = current_month()
    chosen = DateRange(start or month.start, end or month.end)
    if chosen.start > chosen.end:
        raise UserInputError(
            f"`{field[0]}` must not be after `{field[1]}`.", ErrorCode.RANGE_INVALID, field[0]
        )
    if chosen.days > MAX_DAYS:
        raise UserInputError(
            f"A range covers at most {MAX_DAYS} days.", ErrorCode.RANGE_TOO_LONG, field[1]
        )
    return chosen


def checked_month(value: str | None, field: str = "period") -> DateRange:
    """A `YYYY-MM` month (default: the current one)."""
    if value is None:
        return current_month()
    found = _MONTH.match(value)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise UserInputError("Give a month as `YYYY-MM`.", ErrorCode.RANGE_INVALID, field)
    return month_of(date(int(found.group(1)), int(found.group(2)), 1))


def parse_day(value: str | None, field: str) -> date | None:
    """A `YYYY-MM-DD` day from a query string (None when absent)."""
    if value is None or value == "":
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise UserInputError(
            f"`{field}` must be a date as YYYY-MM-DD.", ErrorCode.RANGE_INVALID, field
        ) from None
