"""Tax and discount arithmetic in integers (minor units), never floats.

Rounding rule: every division rounds half away from zero, once per line. Exclusive tax on a
line is `round(base × rate)`; inclusive tax is `round(amount × rate / (1 + rate))`, the part of
the line's amount that is tax, so net + tax equals the amount exactly. Rates are basis points of
a percent (`1925` is 19.25 %). A percentage discount is `round(base × percent / 100)`; discounts
are spread over the positive lines in proportion to their amounts (largest remainder), so the
lines' discounts add up to the invoice's exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction

BASIS = 10_000  # basis points in 100 %
MAX_BASIS_POINTS = 10_000  # a tax rate may reach 100 %, not more


def round_half_away(value: Fraction) -> int:
    """The integer nearest `value`; halves go away from zero (2.5 → 3, -2.5 → -3)."""
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return sign * whole


def exclusive_tax(base: int, basis_points: int) -> int:
    return round_half_away(Fraction(base * basis_points, BASIS))


def inclusive_tax(amount: int, basis_points: int) -> int:
    return round_half_away(Fraction(amount * basis_points, BASIS + basis_points))


def basis_points_of(percentage: str) -> int:
    """`"19.25"` → 1925; a ValueError when it is no number, has more than two decimals, or lies
    outside 0–100."""
    try:
        value = Decimal(percentage.strip())
    except InvalidOperation:
        raise ValueError("Give the percentage as a number such as `19` or `7.25`.") from None
    if not value.is_finite():
        raise ValueError("Give the percentage as a number such as `19` or `7.25`.")
    points = value * 100
    if points != points.to_integral_value():
        raise ValueError("At most two decimals (hundredths of a percent).")
    if not 0 <= points <= MAX_BASIS_POINTS:
        raise ValueError("A percentage from 0 to 100.")
    return int(points)


def percentage_of(basis_points: int) -> str:
    """1925 → `"19.25"`, 1900 → `"19"`."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def percent_discount(base: int, percent_off: str) -> int:
    fraction = Fraction(Decimal(percent_off))
    return round_half_away(base * fraction / 100)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """`total` spread over `weights` in proportion (negative weights get nothing), by largest
    remainder, so the parts add up to `total` exactly."""
    positive = [max(weight, 0) for weight in weights]
    whole = sum(positive)
    if whole == 0 or total == 0:
        return [0] * len(weights)
    shares = [Fraction(total * weight, whole) for weight in positive]
    parts = [int(share) for share in shares]  # toward zero
    left = total - sum(parts)
    step = 1 if left > 0 else -1
    order = sorted(range(len(weights)), key=lambda i: abs(shares[i] - parts[i]), reverse=True)
    for index in order[: abs(left)]:
        parts[index] += step
    return parts
