"""Proration rules, proved over many cases (hypothesis): exact rational arithmetic is the
reference, integer minor units the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.billing import proration
from app.models import PlanInterval

START = datetime(2026, 1, 31, tzinfo=UTC)
prices = st.integers(min_value=0, max_value=10**10)
intervals = st.sampled_from([PlanInterval.MONTH, PlanInterval.YEAR])


@st.composite
def changes(draw: st.DrawFn) -> tuple[proration.Priced, proration.Priced, datetime, datetime]:
    interval = draw(intervals)
    end = proration.period_end(START, interval)
    length = proration.seconds(end - START)
    at = START + timedelta(seconds=draw(st.integers(min_value=0, max_value=length)))
    old = proration.Priced("old", draw(prices), length)
    new = proration.Priced("new", draw(prices), length)
    return old, new, at, end


@given(changes())
def test_lines_sum_to_the_difference_of_the_prorated_prices(
    change: tuple[proration.Priced, proration.Priced, datetime, datetime],
) -> None:
    old, new, at, end = change
    lines = proration.prorate(old, new, at, START, end)
    remaining = proration.seconds(end - at)
    exact = Fraction((new.price - old.price) * remaining, old.interval_seconds)
    assert sum(line.amount for line in lines) == round(exact)
    assert all(line.period_start == at and line.period_end == end for line in lines)


@given(changes())
def test_no_line_is_off_by_more_than_one_minor_unit(
    change: tuple[proration.Priced, proration.Priced, datetime, datetime],
) -> None:
    old, new, at, end = change
    lines = proration.prorate(old, new, at, START, end)
    if not lines:
        assert at == end
        return
    credit_exact, charge_exact = proration.exact_lines(old, new, proration.seconds(end - at))
    credit, charge = lines
    assert abs(credit.amount - credit_exact) <= Fraction(1, 2)
    assert abs(charge.amount - charge_exact) <= 1
    assert credit.amount <= 0 <= charge.amount


@given(changes())
def test_upgrade_then_downgrade_at_one_instant_nets_to_zero(
    change: tuple[proration.Priced, proration.Priced, datetime, datetime],
) -> None:
    old, new, at, end = change
    up = proration.prorate(old, new, at, START, end)
    down = proration.prorate(new, old, at, START, end)
    assert sum(line.amount for line in up) + sum(line.amount for line in down) == 0


@given(st.integers(min_value=0, max_value=10**12), intervals)
def test_mrr_is_the_monthly_share_rounded_half_to_even(price: int, interval: PlanInterval) -> None:
    months = 12 if interval is PlanInterval.YEAR else 1
    mrr = proration.normalised_monthly(price, interval)
    assert abs(mrr - Fraction(price, months)) <= Fraction(1, 2)


def test_worked_example() -> None:
    # Halfway through a 30-day period, 10.00 → 30.00: credit 5.00, charge 15.00.
    start = datetime(2026, 4, 1, tzinfo=UTC)
    end = datetime(2026, 5, 1, tzinfo=UTC)
    length = proration.seconds(end - start)
    lines = proration.prorate(
        proration.Priced("Basic", 1000, length),
        proration.Priced("Pro", 3000, length),
        start + (end - start) / 2,
        start,
        end,
    )
    assert [line.amount for line in lines] == [-500, 1500]
    assert lines[0].description == "Unused time on Basic"


def test_calendar_months_clamp_to_the_month_end() -> None:
    assert proration.add_months(START, 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert proration.add_months(START, 12) == datetime(2027, 1, 31, tzinfo=UTC)
    assert proration.period_end(START, PlanInterval.MONTH) == datetime(2026, 2, 28, tzinfo=UTC)
