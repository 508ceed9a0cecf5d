"""discount_amount: the rounding rule, currencies, plan limits; properties by hypothesis."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.billing.coupons.service import ActiveDiscount, discount_amount
from app.models.coupons import CouponDuration

START = datetime(2026, 1, 1, tzinfo=UTC)


def active(
    *,
    percent_off_bp: int | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
    plans: tuple[str, ...] | None = None,
) -> ActiveDiscount:
    return ActiveDiscount(
        discount_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        coupon_id=uuid.uuid4(),
        code="TEST",
        subscription_id=None,
        percent_off_bp=percent_off_bp,
        amount_off=amount_off,
        currency=currency,
        duration=CouponDuration.FOREVER,
        duration_in_months=None,
        applies_to_plans=plans,
        started_at=START,
        ends_at=None,
        invoices_applied=0,
    )


def test_percent_off_rounds_half_up_to_the_minor_unit() -> None:
    ten = active(percent_off_bp=1000)
    assert discount_amount(ten, 5, "USD", None) == 1  # 0.5 → 1
    assert discount_amount(ten, 4, "USD", None) == 0  # 0.4 → 0
    assert discount_amount(ten, 15, "USD", None) == 2  # 1.5 → 2
    assert discount_amount(active(percent_off_bp=1250), 999, "USD", None) == 125  # 124.875
    assert discount_amount(active(percent_off_bp=10000), 999, "USD", None) == 999


def test_amount_off_only_in_its_currency_and_never_above_the_subtotal() -> None:
    five = active(amount_off=500, currency="USD")
    assert discount_amount(five, 2000, "USD", None) == 500
    assert discount_amount(five, 2000, "usd", None) == 500
    assert discount_amount(five, 300, "USD", None) == 300
    assert discount_amount(five, 2000, "EUR", None) == 0


def test_plan_limits_and_non_positive_subtotals() -> None:
    limited = active(percent_off_bp=5000, plans=("pro",))
    assert discount_amount(limited, 1000, "USD", "pro") == 500
    assert discount_amount(limited, 1000, "USD", "free") == 0
    assert discount_amount(limited, 1000, "USD", None) == 0
    assert discount_amount(active(percent_off_bp=5000), 0, "USD", None) == 0
    assert discount_amount(active(amount_off=100, currency="USD"), -500, "USD", None) == 0


subtotals = st.integers(min_value=-(10**12), max_value=10**12)
basis_points = st.integers(min_value=1, max_value=10_000)
discounts = st.one_of(
    basis_points.map(lambda bp: active(percent_off_bp=bp)),
    st.tuples(st.integers(min_value=1, max_value=10**12), st.sampled_from(["USD", "EUR"])).map(
        lambda pair: active(amount_off=pair[0], currency=pair[1])
    ),
)


@given(discounts, subtotals, st.sampled_from(["USD", "EUR"]))
def test_never_negative_never_above_the_subtotal(
    discount: ActiveDiscount, subtotal: int, currency: str
) -> None:
    off = discount_amount(discount, subtotal, currency, None)
    assert 0 <= off <= max(subtotal, 0)


@given(basis_points, subtotals, subtotals)
def test_percent_off_is_monotone_in_the_subtotal(bp: int, a: int, b: int) -> None:
    low, high = sorted((a, b))
    discount = active(percent_off_bp=bp)
    assert discount_amount(discount, low, "USD", None) <= discount_amount(
        discount, high, "USD", None
    )


@given(basis_points, basis_points, subtotals)
def test_percent_off_is_monotone_in_the_percentage(a: int, b: int, subtotal: int) -> None:
    low, high = sorted((a, b))
    assert discount_amount(active(percent_off_bp=low), subtotal, "USD", None) <= discount_amount(
        active(percent_off_bp=high), subtotal, "USD", None
    )


@given(basis_points, st.integers(min_value=1, max_value=10**12))
def test_percent_off_is_within_half_a_minor_unit_of_exact(bp: int, subtotal: int) -> None:
    from fractions import Fraction

    exact = Fraction(subtotal * bp, 10_000)
    assert abs(discount_amount(active(percent_off_bp=bp), subtotal, "USD", None) - exact) <= (
        Fraction(1, 2)
    )
