"""The UTC hour, day and month a time falls in (the rollups' buckets)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def hour_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day_start(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def month_start(at: datetime) -> datetime:
    return day_start(at).replace(day=1)


def next_month_start(at: datetime) -> datetime:
    first = month_start(at)
    return (first + timedelta(days=32)).replace(day=1)


def month_code(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m")
