"""The one source of "now", so expiry rules can be tested without sleeping, and the one rule
for times given by clients: with an offset, and representable in UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
# A time pinned for the current task only (a billing test clock runs a customer's renewals
# at their own times), so concurrent requests keep the real clock.
_pinned: ContextVar[datetime | None] = ContextVar("clock_pinned", default=None)


def now() -> datetime:
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    return datetime.now(UTC) + _offset


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    """Make `now()` answer `at` inside the block, for this task only."""
    token = _pinned.set(at)
    try:
        yield
    finally:
        _pinned.reset(token)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC, or a ValueError: a naive time (its zone would be a guess), or one that
    falls outside the years 1–9999 once moved to UTC (`9999-12-31T23:59:59-23:00`)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Give a time zone offset (e.g. `Z` or `+02:00`).")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The time is out of range once moved to UTC (years 1 to 9999).") from None


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Shift the application's clock by `delta` inside the block (tests only)."""
    global _offset
    previous = _offset
    _offset = previous + delta
    try:
        yield
    finally:
        _offset = previous
