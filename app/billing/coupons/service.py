"""Coupons and discounts: create and delete coupons, redeem them, remove discounts, and what
invoicing needs (the active discounts, their amounts, counting an invoice against them).

Redemption is race-free: the redemption count is taken by one conditional UPDATE
(`repository.count_redemption`) before the discount is written, and the "already applied"
check is repeated after it, when concurrent redemptions of the same coupon are serialized.
"""

from __future__ import annotations

import calendar
import math
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.coupons import repository
from app.billing.coupons.amounts import ActiveDiscount, discount_amount
from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.coupons import Coupon, CouponDuration, Discount
from app.models.customers import Customer

__all__ = [
    "ActiveDiscount",
    "active_discounts",
    "add_months",
    "apply_coupon",
    "consume_period",
    "create_coupon",
    "delete_coupon",
    "discount_amount",
    "redeem",
    "remove_discount",
]

MAX_NAME = 200
MAX_MONTHS = 120
MAX_REDEMPTIONS = 1_000_000_000
MAX_AMOUNT_OFF = 10**12  # minor units; far above any real invoice, within 64 bits
MAX_PLANS = 100
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def normalize_code(code: str) -> str:
    """Codes are case-insensitive for customers typing them: stored and matched upper case."""
    return code.strip().upper()


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus calendar months, the day clamped to the month's end (Jan 31 + 1 → Feb 28
    or 29), the time of day kept."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# ---------------------------------------------------------------- checks


def _checked_code(code: str) -> str:
    normalized = normalize_code(code)
    if not _CODE.match(normalized):
        raise UserInputError(
            "Use 3–64 letters, digits, `-` or `_`, starting with a letter or digit "
            "(e.g. `SPRING-25`); codes are case-insensitive.",
            ErrorCode.INVALID,
            "code",
        )
    return normalized


def _checked_percent(percent_off: float) -> int:
    """A percentage (0 < p ≤ 100, at most two decimals) as basis points."""
    if not math.isfinite(percent_off) or not 0 < percent_off <= 100:
        raise UserInputError(
            "Give a percentage above 0 and at most 100.", ErrorCode.INVALID, "percentOff"
        )
    basis_points = round(percent_off * 100)
    if abs(percent_off * 100 - basis_points) > 1e-6 or basis_points < 1:
        raise UserInputError(
            "At most two decimals (12.5 or 12.25, not 12.125).", ErrorCode.INVALID, "percentOff"
        )
    return basis_points


def _checked_amount(amount_off: int) -> int:
    if not 1 <= amount_off <= MAX_AMOUNT_OFF:
        raise UserInputError(
            f"Give an amount in minor units from 1 to {MAX_AMOUNT_OFF}.",
            ErrorCode.INVALID,
            "amountOff",
        )
    return amount_off


def _checked_currency(currency: str | None) -> str:
    if currency is None or not currency.strip():
        raise UserInputError("An amount off needs its currency.", ErrorCode.REQUIRED, "currency")
    normalized = currency.strip().upper()
    if not _CURRENCY.match(normalized):
        raise UserInputError(
            "Give a 3-letter ISO 4217 currency code (e.g. `USD`).", ErrorCode.INVALID, "currency"
        )
    return normalized


def _discount_checks(
    percent_off: float | None, amount_off: int | None, currency: str | None
) -> dict[str, Callable[[], Any]]:
    """Exactly one of `percentOff` or `amountOff` (+ `currency`)."""
    if percent_off is not None and amount_off is not None:

        def both() -> Any:
            raise UserInputError(
                "Give either percentOff, or amountOff with currency; not both.",
                ErrorCode.INVALID,
                "amountOff",
            )

        return {"amount_off": both}
    if percent_off is not None:
        checks: dict[str, Callable[[], Any]] = {
            "percent_off_bp": lambda: _checked_percent(percent_off)
        }
        if currency is not None:

            def stray_currency() -> Any:
                raise UserInputError(
                    "A currency goes only with amountOff.", ErrorCode.INVALID, "currency"
                )

            checks["currency"] = stray_currency
        return checks
    if amount_off is not None:
        return {
            "amount_off": lambda: _checked_amount(amount_off),
            "currency": lambda: _checked_currency(currency),
        }

    def neither() -> Any:
        raise UserInputError(
            "Give percentOff, or amountOff with currency.", ErrorCode.REQUIRED, "percentOff"
        )

    return {"percent_off_bp": neither}


def _checked_months(duration: CouponDuration, months: int | None) -> int | None:
    if duration is CouponDuration.REPEATING:
        if months is None:
            raise UserInputError(
                "A REPEATING coupon needs durationInMonths.",
                ErrorCode.REQUIRED,
                "durationInMonths",
            )
        if not 1 <= months <= MAX_MONTHS:
            raise UserInputError(
                f"Give 1 to {MAX_MONTHS} months.", ErrorCode.INVALID, "durationInMonths"
            )
        return months
    if months is not None:
        raise UserInputError(
            "durationInMonths goes only with a REPEATING coupon.",
            ErrorCode.INVALID,
            "durationInMonths",
        )
    return None


def _checked_max_redemptions(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_REDEMPTIONS:
        raise UserInputError(
            f"Give 1 to {MAX_REDEMPTIONS} redemptions, or leave it out for no limit.",
            ErrorCode.INVALID,
            "maxRedemptions",
        )
    return value


def _checked_redeem_by(value: datetime | None) -> datetime | None:
    if value is not None and value <= clock.now():
        raise UserInputError("redeemBy must lie in the future.", ErrorCode.INVALID, "redeemBy")
    return value


def _checked_plans(codes: list[str] | None) -> list[str] | None:
    if codes is None:
        return None
    cleaned = list(dict.fromkeys(code.strip() for code in codes))
    if not cleaned or any(not code for code in cleaned) or len(cleaned) > MAX_PLANS:
        raise UserInputError(
            f"Name 1 to {MAX_PLANS} plan codes, or leave it out for every plan.",
            ErrorCode.INVALID,
            "appliesToPlans",
        )
    return cleaned


def _validated(checks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Every check at once, so a form shows all its problems together."""
    values: dict[str, Any] = {}
    problems: list[UserInputError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


# ---------------------------------------------------------------- coupons


def _coupon_view(coupon: Coupon) -> dict[str, Any]:
    return {
        "code": coupon.code,
        "name": coupon.name,
        "percentOffBasisPoints": coupon.percent_off_bp,
        "amountOff": coupon.amount_off,
        "currency": coupon.currency,
        "duration": coupon.duration.value,
        "durationInMonths": coupon.duration_in_months,
        "maxRedemptions": coupon.max_redemptions,
        "redeemBy": coupon.redeem_by,
        "appliesToPlans": coupon.applies_to_plans,
        "deletedAt": coupon.deleted_at,
    }


def _coupon_id(coupon: Coupon) -> str:
    return encode(Coupon.PREFIX, coupon.id)


async def create_coupon(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    duration: CouponDuration,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
    duration_in_months: int | None = None,
    max_redemptions: int | None = None,
    redeem_by: datetime | None = None,
    applies_to_plans: list[str] | None = None,
) -> Coupon:
    values = _validated(
        {
            "code": lambda: _checked_code(code),
            "name": lambda: checked_text(name, "name", MAX_NAME),
            **_discount_checks(percent_off, amount_off, currency),
            "duration_in_months": lambda: _checked_months(duration, duration_in_months),
            "max_redemptions": lambda: _checked_max_redemptions(max_redemptions),
            "redeem_by": lambda: _checked_redeem_by(redeem_by),
            "applies_to_plans": lambda: _checked_plans(applies_to_plans),
        }
    )
    plans: list[str] | None = values["applies_to_plans"]
    if plans is not None:
        missing = await repository.missing_plan_codes(uow.session, plans)
        if missing:
            raise UserInputError(
                f"No plan has the code {', '.join(f'`{m}`' for m in missing)}.",
                ErrorCode.NOT_FOUND,
                "appliesToPlans",
            )
    if await repository.coupon_code_taken(uow.session, values["code"]):
        raise UserInputError(
            "A coupon has this code (codes of deleted coupons stay taken).",
            ErrorCode.CONFLICT,
            "code",
        )
    now = clock.now()
    coupon = Coupon(
        code=values["code"],
        name=values["name"],
        percent_off_bp=values.get("percent_off_bp"),
        amount_off=values.get("amount_off"),
        currency=values.get("currency"),
        duration=duration,
        duration_in_months=values["duration_in_months"],
        max_redemptions=values["max_redemptions"],
        redeem_by=values["redeem_by"],
        applies_to_plans=plans,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(coupon)
    await uow.session.flush()
    view = _coupon_view(coupon)
    uow.record("coupon.create", "Coupon", _coupon_id(coupon), before={}, after=view)
    return coupon


async def delete_coupon(uow: UnitOfWork, *, code: str) -> Coupon:
    """Stop new redemptions; discounts already running keep running (as in Stripe)."""
    coupon = await repository.coupon_by_code(uow.session, normalize_code(code))
    if coupon is None:
        raise not_found("Coupon", "code")
    before = _coupon_view(coupon)
    coupon.deleted_at = coupon.updated_at = clock.now()
    await uow.session.flush()
    uow.record(
        "coupon.delete", "Coupon", _coupon_id(coupon), before=before, after=_coupon_view(coupon)
    )
    return coupon


# ---------------------------------------------------------------- discounts


def _discount_view(discount: Discount, coupon: Coupon) -> dict[str, Any]:
    return {
        "coupon": coupon.code,
        "subscriptionId": str(discount.subscription_id) if discount.subscription_id else None,
        "startedAt": discount.started_at,
        "endsAt": discount.ends_at,
        "removedAt": discount.removed_at,
        "invoicesApplied": discount.invoices_applied,
    }


def _discount_id(discount: Discount) -> str:
    return encode(Discount.PREFIX, discount.id)


def _event_data(discount: Discount, coupon: Coupon) -> dict[str, Any]:
    return {
        "discountId": _discount_id(discount),
        "customerId": encode(Customer.PREFIX, discount.customer_id),
        "couponId": _coupon_id(coupon),
        "code": coupon.code,
        "startedAt": discount.started_at,
        "endsAt": discount.ends_at,
        "removedAt": discount.removed_at,
    }


def _already_applied(field: str) -> UserInputError:
    return UserInputError(
        "This customer already has an active discount from this coupon.",
        ErrorCode.COUPON_ALREADY_APPLIED,
        field,
    )


async def redeem(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    code: str,
    plan_code: str | None,
    subscription_id: uuid.UUID | None = None,
    code_field: str = "code",
) -> Discount:
    """Apply the coupon `code` to a customer on `plan_code`: the rules `couponApply` uses
    (and `subscriptionCreate`'s `couponCode`, naming its field with `code_field`).

    Refusals: NOT_FOUND (no live coupon, or the customer outside scope: `customerId`),
    COUPON_EXPIRED (past `redeemBy`), COUPON_NOT_APPLICABLE (`appliesToPlans` excludes
    `plan_code`), COUPON_ALREADY_APPLIED (an active discount from it), COUPON_MAX_REDEEMED."""
    customer = await customer_in_scope(uow, customer_id)
    coupon = await repository.coupon_by_code(uow.session, normalize_code(code))
    if coupon is None:
        raise not_found("Coupon", code_field)
    now = clock.now()
    if coupon.redeem_by is not None and coupon.redeem_by <= now:
        raise UserInputError(
            "This coupon could be redeemed only until its redeemBy time.",
            ErrorCode.COUPON_EXPIRED,
            code_field,
        )
    if coupon.applies_to_plans is not None and plan_code not in coupon.applies_to_plans:
        raise UserInputError(
            "This coupon does not apply to the customer's plan.",
            ErrorCode.COUPON_NOT_APPLICABLE,
            code_field,
        )
    if await repository.active_discount_exists(uow.session, customer.id, coupon.id, now):
        raise _already_applied(code_field)
    if not await repository.count_redemption(uow.session, coupon.id):
        if coupon.max_redemptions is None:  # unlimited: it was deleted meanwhile
            raise not_found("Coupon", code_field)
        raise UserInputError(
            "This coupon has been redeemed as often as it may be.",
            ErrorCode.COUPON_MAX_REDEEMED,
            code_field,
        )
    # Concurrent redemptions of this coupon are serialized by now (the UPDATE's row lock):
    # a discount another one committed meanwhile is visible here.
    if await repository.active_discount_exists(uow.session, customer.id, coupon.id, now):
        raise _already_applied(code_field)
    months = coupon.duration_in_months
    discount = Discount(
        customer_id=customer.id,
        coupon_id=coupon.id,
        subscription_id=subscription_id,
        started_at=now,
        ends_at=(
            add_months(now, months)
            if coupon.duration is CouponDuration.REPEATING and months is not None
            else None
        ),
        created_at=now,
    )
    uow.session.add(discount)
    await uow.session.flush()
    uow.record(
        "discount.create",
        "Discount",
        _discount_id(discount),
        before={},
        after=_discount_view(discount, coupon),
        customer_id=customer.id,
    )
    uow.publish("discount.created", _event_data(discount, coupon), customer_id=customer.id)
    return discount


async def apply_coupon(uow: UnitOfWork, *, customer_id: uuid.UUID, code: str) -> Discount:
    """`couponApply`: redeem for the customer's current plan."""
    customer = await customer_in_scope(uow, customer_id)
    plan_code = await repository.current_plan_code(uow.session, customer.id)
    return await redeem(uow, customer_id=customer.id, code=code, plan_code=plan_code)


async def remove_discount(uow: UnitOfWork, *, discount_id: uuid.UUID) -> Discount:
    discount = await repository.discount_in_scope(uow.session, discount_id, uow.row_scope)
    if discount is None:
        raise not_found("Discount", "discountId")
    now = clock.now()
    if discount.removed_at is not None or (
        discount.ends_at is not None and discount.ends_at <= now
    ):
        raise UserInputError(
            "This discount has already ended.", ErrorCode.INVALID_STATE, "discountId"
        )
    coupon = await repository.coupon_of(uow.session, discount.coupon_id)
    before = _discount_view(discount, coupon)
    discount.removed_at = now
    await uow.session.flush()
    uow.record(
        "discount.remove",
        "Discount",
        _discount_id(discount),
        before=before,
        after=_discount_view(discount, coupon),
        customer_id=discount.customer_id,
    )
    uow.publish("discount.removed", _event_data(discount, coupon), customer_id=discount.customer_id)
    return discount


# ---------------------------------------------------------------- for invoicing


async def active_discounts(
    session: AsyncSession, customer_id: uuid.UUID, at: datetime
) -> list[ActiveDiscount]:
    """The customer's discounts active at `at`, oldest first (the order to apply them in)."""
    rows = await repository.active_discount_rows(session, customer_id, at)
    return [ActiveDiscount.of(discount, coupon) for discount, coupon in rows]


async def consume_period(uow: UnitOfWork, discount_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Count one invoice against each ONCE or REPEATING discount of `discount_ids` and end
    those used up (ONCE after one invoice, REPEATING after `durationInMonths` invoices or at
    its end time, whichever comes first); FOREVER ones are left alone. Returns the ids of
    the discounts this ended. Call it in the unit of work that finalizes the invoice."""
    now = clock.now()
    ended: list[uuid.UUID] = []
    for discount, coupon in await repository.discounts_with_coupons(uow.session, discount_ids):
        if coupon.duration is CouponDuration.FOREVER or discount.removed_at is not None:
            continue
        if discount.ends_at is not None and discount.ends_at <= now:
            continue
        before = _discount_view(discount, coupon)
        discount.invoices_applied += 1
        allowed = 1 if coupon.duration is CouponDuration.ONCE else coupon.duration_in_months or 1
        if discount.invoices_applied >= allowed:
            discount.ends_at = now
            ended.append(discount.id)
        uow.record(
            "discount.consume",
            "Discount",
            _discount_id(discount),
            before=before,
            after=_discount_view(discount, coupon),
            customer_id=discount.customer_id,
        )
    await uow.session.flush()
    return ended
