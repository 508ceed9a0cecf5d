"""What a discount takes off a subtotal: pure integer arithmetic, no database.

Rules:
- Percent off is `subtotal × basis points / 10 000`, rounded half up to the minor unit (an
  exact half cent goes to the customer), and never more than the subtotal.
- Amount off applies only to a subtotal in the coupon's currency (another currency: nothing,
  no conversion), and never more than the subtotal.
- A discount limited to some plans takes nothing off another plan's subtotal (nor off one
  without a plan), and nothing comes off a subtotal of zero or less (a credit).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.models.coupons import Coupon, CouponDuration, Discount

BASIS_POINTS = 10_000


@dataclass(frozen=True, slots=True)
class ActiveDiscount:
    """A discount as invoicing reads it: what it takes off, and on which plans."""

    discount_id: uuid.UUID
    customer_id: uuid.UUID
    coupon_id: uuid.UUID
    code: str
    subscription_id: uuid.UUID | None
    percent_off_bp: int | None
    amount_off: int | None
    currency: str | None
    duration: CouponDuration
    duration_in_months: int | None
    applies_to_plans: tuple[str, ...] | None
    started_at: datetime
    ends_at: datetime | None
    invoices_applied: int

    @classmethod
    def of(cls, discount: Discount, coupon: Coupon) -> ActiveDiscount:
        plans = coupon.applies_to_plans
        return cls(
            discount_id=discount.id,
            customer_id=discount.customer_id,
            coupon_id=coupon.id,
            code=coupon.code,
            subscription_id=discount.subscription_id,
            percent_off_bp=coupon.percent_off_bp,
            amount_off=coupon.amount_off,
            currency=coupon.currency,
            duration=coupon.duration,
            duration_in_months=coupon.duration_in_months,
            applies_to_plans=tuple(plans) if plans is not None else None,
            started_at=discount.started_at,
            ends_at=discount.ends_at,
            invoices_applied=discount.invoices_applied,
        )


class Terms(Protocol):
    """What a discount takes off, whatever carries it (an `ActiveDiscount`, `DiscountTerms`)."""

    @property
    def percent_off_bp(self) -> int | None: ...
    @property
    def amount_off(self) -> int | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def applies_to_plans(self) -> tuple[str, ...] | None: ...


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    percent_off_bp: int | None
    amount_off: int | None
    currency: str | None
    applies_to_plans: tuple[str, ...] | None


def after_discounts(
    discounts: Sequence[Terms], subtotal: int, currency: str, plan_code: str | None
) -> int:
    """`subtotal` less each discount in turn, each on what the previous ones left (as
    invoices apply them)."""
    left = subtotal
    for discount in discounts:
        left -= discount_amount(discount, left, currency, plan_code)
    return left


def discount_amount(discount: Terms, subtotal: int, currency: str, plan_code: str | None) -> int:
    """The minor units `discount` takes off `subtotal` (in `currency`, for `plan_code`):
    0 ≤ result ≤ max(subtotal, 0)."""
    if subtotal <= 0:
        return 0
    if discount.applies_to_plans is not None and plan_code not in discount.applies_to_plans:
        return 0
    if discount.percent_off_bp is not None:
        # Half up: add half the divisor before the floor division (all values positive).
        off = (subtotal * discount.percent_off_bp + BASIS_POINTS // 2) // BASIS_POINTS
        return min(off, subtotal)
    if discount.amount_off is None or discount.currency != currency.upper():
        return 0
    return min(discount.amount_off, subtotal)
