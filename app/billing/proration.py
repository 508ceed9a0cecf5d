"""Billing periods and per-second proration, in integers and `Fraction`s (never floats).

Rounding rule (documented in the README's billing section too): amounts are integer minor
units. A plan change at instant `t` inside a period `[start, end)` prorates the time left,
`remaining = end - t`, in whole seconds. Exactly:

    credit = -old_price * remaining / old_interval_seconds     (unused time on the old price)
    charge = +new_price * remaining / new_interval_seconds     (remaining time on the new one)

The *net* (credit + charge, exactly) is rounded half to even, and so is the credit; the charge
line is the rounded net minus the rounded credit. Hence the lines always sum to the rounded
net, the credit is within half a minor unit and the charge within one minor unit of the exact
amounts, and an upgrade followed by the reverse downgrade at the same instant nets to exactly
zero (half-to-even rounding is symmetric: round(-x) == -round(x)).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from app.models.billing import PlanInterval


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` moved by whole calendar months, the day clamped to the target month's end."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def interval_months(interval: PlanInterval) -> int:
    return 12 if interval is PlanInterval.YEAR else 1


def period_end(start: datetime, interval: PlanInterval) -> datetime:
    return add_months(start, interval_months(interval))


def seconds(delta: timedelta) -> int:
    """Whole seconds of a duration (proration counts whole seconds; fractions are dropped)."""
    return delta.days * 86_400 + delta.seconds


def round_half_even(value: Fraction) -> int:
    return round(value)


def monthly_amount(price: int, interval: PlanInterval) -> Fraction:
    """A price normalised to one month, exactly (a yearly price is a twelfth per month)."""
    return Fraction(price, interval_months(interval))


def normalised_monthly(price: int, interval: PlanInterval) -> int:
    """MRR of one price: its monthly amount rounded half to even."""
    return round_half_even(monthly_amount(price, interval))


@dataclass(frozen=True, slots=True)
class Priced:
    """What a subscription pays: a price per interval whose length, in seconds, prorates it."""

    description: str
    price: int
    interval_seconds: int


@dataclass(frozen=True, slots=True)
class ProrationLine:
    description: str
    period_start: datetime
    period_end: datetime
    amount: int  # minor units; negative for a credit


def exact_lines(old: Priced, new: Priced, remaining: int) -> tuple[Fraction, Fraction]:
    """The exact credit (negative) and charge of a change with `remaining` seconds left."""
    if remaining <= 0:
        return Fraction(0), Fraction(0)
    credit = -Fraction(old.price * remaining, old.interval_seconds)
    charge = Fraction(new.price * remaining, new.interval_seconds)
    return credit, charge


def prorate(
    old: Priced, new: Priced, at: datetime, period_start: datetime, period_end: datetime
) -> list[ProrationLine]:
    """The credit for the unused time on `old` and the charge for the rest on `new`, both over
    `[at, period_end)`; no lines when nothing of the period remains."""
    del period_start  # the remaining time alone decides (kept for the lines' readers)
    remaining = seconds(period_end - at)
    if remaining <= 0:
        return []
    credit_exact, charge_exact = exact_lines(old, new, remaining)
    credit = round_half_even(credit_exact)
    net = round_half_even(credit_exact + charge_exact)
    charge = net - credit
    return [
        ProrationLine(f"Unused time on {old.description}", at, period_end, credit),
        ProrationLine(f"Remaining time on {new.description}", at, period_end, charge),
    ]
