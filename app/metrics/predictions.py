"""Projections from observed growth and churn (pure arithmetic over SQL aggregates).

The method, also written in the GraphQL field descriptions:
- The window is the last 90 days (three months of 30 days).
- Users: monthly growth rate g = (signed up − deleted in the window) / 3 / users at the window's
  start; users after n months = users now × (1 + g)^n.
- Paying customers: monthly gain rate a = (new + reactivated paying customers) / 3 / paying at the
  window's start, churn rate c = churned / 3 / paying at start; count after n months = now ×
  (1 + a − c)^n.
- MRR: monthly net rate m = (new + expansion + reactivation − contraction − churned MRR) / 3 /
  MRR at the window's start; MRR after n months = now × (1 + m)^n.
- Scenarios scale the observed rates: conservative takes growth × 0.5 and churn × 1.5 (a negative
  net rate × 1.5), realistic the rates as observed, optimistic growth × 1.5 and churn × 0.5.
- Runway: monthly net burn = (costs − revenue in the window) / 3; with a positive burn the
  runway is cash balance / burn months, its date today + months × 30.44 days; otherwise none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_DAYS = 90
WINDOW_MONTHS = 3
DAYS_PER_MONTH = 30.44


@dataclass(frozen=True, slots=True)
class Rates:
    gain: float
    churn: float


SCENARIOS = {
    "CONSERVATIVE": (0.5, 1.5),
    "REALISTIC": (1.0, 1.0),
    "OPTIMISTIC": (1.5, 0.5),
}


def monthly_rate(change: float, start: float) -> float:
    """The window's change per month relative to where it started (0 from nothing)."""
    if start <= 0:
        return 0.0
    return change / WINDOW_MONTHS / start


def project(now: float, rates: Rates, scenario: str, months: int) -> list[int]:
    growth_factor, churn_factor = SCENARIOS[scenario]
    rate = rates.gain * growth_factor - rates.churn * churn_factor
    rate = max(rate, -1.0)
    return [max(0, round(now * (1 + rate) ** n)) for n in range(1, months + 1)]


def split(net: float) -> Rates:
    """A net rate as gain (positive part) and churn (negative part)."""
    return Rates(gain=max(net, 0.0), churn=max(-net, 0.0))


def month_label(start: date, n: int) -> str:
    index = start.year * 12 + start.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class Runway:
    monthly_burn: int
    months: float | None
    runs_out_on: date | None


def runway(balance: int, costs: int, revenue: int, today: date) -> Runway:
    burn = (costs - revenue) / WINDOW_MONTHS
    if burn <= 0:
        return Runway(round(burn), None, None)
    months = balance / burn
    if not math.isfinite(months) or months > 1200:
        return Runway(round(burn), months, None)
    return Runway(round(burn), months, today + timedelta(days=months * DAYS_PER_MONTH))
