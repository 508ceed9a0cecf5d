"""What invoicing and subscriptions call: redeem (with a subscription), active_discounts,
consume_period (ONCE after one invoice, REPEATING after its months, FOREVER never)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from app.billing.coupons import service
from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.coupons import CouponDuration, Discount
from tests.billing import coupon_support as support
from tests.helpers import World

T = TypeVar("T")


async def run(db: Database, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    return await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)


async def test_redeem_for_a_subscription_and_plan(db: Database, world: World) -> None:
    await support.coupon(db, "PRO-ONLY", applies_to_plans=["pro"])
    subscription_id = uuid.uuid4()

    async def redeem(uow: UnitOfWork) -> Discount:
        return await service.redeem(
            uow,
            customer_id=world.own.id,
            code="pro-only",
            plan_code="pro",
            subscription_id=subscription_id,
        )

    discount = await run(db, redeem)
    assert discount.subscription_id == subscription_id

    async def elsewhere(uow: UnitOfWork) -> Discount:
        return await service.redeem(
            uow,
            customer_id=world.other.id,
            code="PRO-ONLY",
            plan_code="free",
            code_field="couponCode",
        )

    with pytest.raises(UserInputError) as refused:
        await run(db, elsewhere)
    assert (refused.value.code, refused.value.field) == (
        ErrorCode.COUPON_NOT_APPLICABLE,
        ["couponCode"],
    )


async def test_active_discounts_at_a_moment(db: Database, world: World) -> None:
    percent = await support.coupon(db, "TEN", percent_off_bp=1000, applies_to_plans=["pro"])
    amount = await support.coupon(db, "FIVE", amount_off=500)
    now = clock.now()
    first = await support.discount(db, world.own, percent, started_at=now - timedelta(days=2))
    second = await support.discount(
        db, world.own, amount, started_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    await support.discount(db, world.own, amount, removed_at=now)
    await support.discount(db, world.other, amount)
    async with db.write_session() as session:
        found = await service.active_discounts(session, world.own.id, now)
        later = await service.active_discounts(session, world.own.id, now + timedelta(days=2))
    assert [d.discount_id for d in found] == [first.id, second.id]
    assert found[0].applies_to_plans == ("pro",)
    assert service.discount_amount(found[0], 9900, "USD", "pro") == 990
    assert service.discount_amount(found[1], 9900, "USD", "pro") == 500
    assert [d.discount_id for d in later] == [first.id]


async def test_consume_period(db: Database, world: World) -> None:
    once = await support.coupon(db, "ONCE", duration=CouponDuration.ONCE)
    twice = await support.coupon(
        db, "TWICE", duration=CouponDuration.REPEATING, duration_in_months=2
    )
    forever = await support.coupon(db, "FOREVER")
    far = clock.now() + timedelta(days=60)
    discounts = [
        await support.discount(db, world.own, once),
        await support.discount(db, world.own, twice, ends_at=far),
        await support.discount(db, world.own, forever),
    ]
    ids = [d.id for d in discounts]

    async def consume(uow: UnitOfWork) -> list[uuid.UUID]:
        return await service.consume_period(uow, ids)

    assert await run(db, consume) == [discounts[0].id]
    assert await run(db, consume) == [discounts[1].id]  # the ONCE one is over already
    assert await run(db, consume) == []
    rows = [await support.stored_discount(db, d.id) for d in discounts]
    assert [r.invoices_applied for r in rows] == [1, 2, 0]
    assert [r.ends_at is not None for r in rows] == [True, True, False]
    async with db.write_session() as session:
        remaining = await service.active_discounts(session, world.own.id, clock.now())
    assert [d.code for d in remaining] == ["FOREVER"]
    assert len(await support.events(db, "discount.consume")) == 3


def test_add_months_clamps_to_the_month_end() -> None:
    moment = datetime(2026, 1, 31, 10, 30, tzinfo=UTC)
    assert service.add_months(moment, 1) == datetime(2026, 2, 28, 10, 30, tzinfo=UTC)
    assert service.add_months(moment, 13) == datetime(2027, 2, 28, 10, 30, tzinfo=UTC)
    assert service.add_months(datetime(2027, 12, 15, tzinfo=UTC), 2) == datetime(
        2028, 2, 15, tzinfo=UTC
    )
