"""Periods and date ranges of the metrics and exports: optional, defaulting to the current
month in UTC, validated by `app/kit/ranges.py` (`from` ≤ `to`, at most 366 days)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.kit import clock, ranges
from app.kit.errors import ErrorCode, UserInputError

MAX_DAYS = ranges.MAX_DAYS
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
    """The range given, either end defaulting to the current month's (`app/kit/ranges.py`)."""
    month = current_month()
    chosen = DateRange(start or month.start, end or month.end)
    ranges.check(chosen.start, chosen.end, field)
    return chosen


def checked_month(value: str | None, field: str = "period") -> DateRange:
    """A `YYYY-MM` month (default: the current one)."""
    if value is None:
        return current_month()
    found = _MONTH.match(value)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise UserInputError("Give a month as `YYYY-MM`.", ErrorCode.INVALID, field)
    return month_of(date(int(found.group(1)), int(found.group(2)), 1))


parse_day = ranges.parse_day
