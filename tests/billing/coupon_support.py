"""Helpers of the coupon and discount tests: mutations, rows written directly, table counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.models import Customer
from app.models.coupons import Coupon, CouponDuration, Discount
from app.models.tables import (
    AUDIT_EVENTS,
    COUPONS,
    DISCOUNTS,
    IDEMPOTENCY_RECORDS,
    OUTBOX_EVENTS,
)
from tests.helpers import Mutation, gid

__all__ = ["gid"]
from tests.support import rows

COUPON = """coupon {
  id code name percentOff amountOff duration durationInMonths
  maxRedemptions redemptionsCount redeemBy appliesToPlans active deletedAt
}"""
DISCOUNT = """discount {
  id code name percentOff amountOff duration startedAt endsAt removedAt
  invoicesApplied active customer { slug }
}"""
COUPON_CREATE = Mutation("couponCreate", COUPON)
COUPON_DELETE = Mutation("couponDelete", COUPON)
COUPON_APPLY = Mutation("couponApply", DISCOUNT)
DISCOUNT_REMOVE = Mutation("discountRemove", DISCOUNT)

TABLES = {
    "coupons": COUPONS,
    "discounts": DISCOUNTS,
    "outbox_events": OUTBOX_EVENTS,
    "idempotency_records": IDEMPOTENCY_RECORDS,
}


async def counts(db: Database) -> dict[str, int]:
    """Rows of every table these mutations write, the redemptions counted, audit events
    (other than those every impersonated request leaves)."""
    found: dict[str, int] = {}
    for name, table in TABLES.items():
        statement = sa.select(sa.func.count()).select_from(table)
        found[name] = int((await rows(db, statement))[0][0])
    redeemed = sa.select(sa.func.coalesce(sa.func.sum(COUPONS.c.times_redeemed), 0))
    found["times_redeemed"] = int((await rows(db, redeemed))[0][0])
    removed = sa.select(sa.func.count()).where(DISCOUNTS.c.removed_at.isnot(None))
    found["removed_discounts"] = int((await rows(db, removed))[0][0])
    deleted = sa.select(sa.func.count()).where(COUPONS.c.deleted_at.isnot(None))
    found["deleted_coupons"] = int((await rows(db, deleted))[0][0])
    audited = sa.select(sa.func.count()).where(AUDIT_EVENTS.c.action != "impersonation.request")
    found["audit_events"] = int((await rows(db, audited))[0][0])
    return found


async def events(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)


async def outbox(db: Database, event_type: str) -> list[sa.Row[Any]]:
    statement = sa.select(OUTBOX_EVENTS).where(OUTBOX_EVENTS.c.event_type == event_type)
    return await rows(db, statement)


async def add(db: Database, *new: Any) -> None:
    async with db.write_session() as session:
        session.add_all(new)
        await session.commit()


async def coupon(
    db: Database,
    code: str = "SPRING-25",
    *,
    percent_off_bp: int | None = 2500,
    amount_off: int | None = None,
    currency: str | None = None,
    duration: CouponDuration = CouponDuration.FOREVER,
    duration_in_months: int | None = None,
    **fields: Any,
) -> Coupon:
    if amount_off is not None:
        percent_off_bp = None
        currency = currency or "USD"
    row = Coupon(
        code=code,
        name=fields.pop("name", f"Coupon {code}"),
        percent_off_bp=percent_off_bp,
        amount_off=amount_off,
        currency=currency,
        duration=duration,
        duration_in_months=duration_in_months,
        **fields,
    )
    await add(db, row)
    return row


async def discount(
    db: Database,
    customer: Customer,
    coupon_row: Coupon,
    *,
    started_at: datetime | None = None,
    **fields: Any,
) -> Discount:
    row = Discount(
        customer_id=customer.id,
        coupon_id=coupon_row.id,
        started_at=started_at or clock.now(),
        **fields,
    )
    await add(db, row)
    return row


async def times_redeemed(db: Database, coupon_row: Coupon) -> int:
    statement = sa.select(COUPONS.c.times_redeemed).where(COUPONS.c.id == coupon_row.id)
    return int((await rows(db, statement))[0][0])


def apply_input(customer: Customer, code: str = "SPRING-25") -> dict[str, str]:
    return {"customerId": gid("cus", customer), "code": code}


async def stored_discount(db: Database, discount_id: Any) -> Discount:
    """The discount as stored now."""
    async with db.write_session() as session:
        found = await session.get(Discount, discount_id)
        assert found is not None
        return found
