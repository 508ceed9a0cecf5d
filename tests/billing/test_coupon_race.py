"""Race-free redemption: two units of work redeem the last redemption of a coupon at once,
both having read the coupon with one left; exactly one wins. On PostgreSQL they truly
overlap (two connections); SQLite serializes writers, so the test runs on PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.billing.coupons import repository, service
from app.db import Database
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Customer
from app.models.coupons import Coupon, Discount
from tests.billing import coupon_support as support
from tests.helpers import Factory, World

pytestmark = pytest.mark.postgres_only


async def race(
    db: Database, customers: list[Customer], code: str, *, barrier: bool = True
) -> list[Any]:
    """Redeem `code` for each customer in its own unit of work, all at once: with `barrier`,
    each waits after reading the coupon until every one has read it, then counts its
    redemption."""
    read = asyncio.Barrier(len(customers))
    original = repository.coupon_by_code

    async def read_then_wait(*args: Any, **kwargs: Any) -> Coupon | None:
        found = await original(*args, **kwargs)
        if barrier:
            await read.wait()
        return found

    async def redeem(customer: Customer) -> Discount:
        async def work(uow: UnitOfWork) -> Discount:
            return await service.redeem(uow, customer_id=customer.id, code=code, plan_code="pro")

        return await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)

    repository.coupon_by_code = read_then_wait  # type: ignore[assignment]
    try:
        return await asyncio.wait_for(
            asyncio.gather(*(redeem(c) for c in customers), return_exceptions=True), timeout=30
        )
    finally:
        repository.coupon_by_code = original  # type: ignore[assignment]


async def test_exactly_one_of_two_concurrent_redemptions_wins(db: Database, world: World) -> None:
    coupon = await support.coupon(db, "LAST-ONE", max_redemptions=1)
    results = await race(db, [world.own, world.other], "LAST-ONE")
    won = [r for r in results if isinstance(r, Discount)]
    lost = [r for r in results if isinstance(r, UserInputError)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert lost[0].code is ErrorCode.COUPON_MAX_REDEEMED
    assert await support.times_redeemed(db, coupon) == 1
    assert (await support.counts(db))["discounts"] == 1


async def test_one_customer_applying_twice_at_once_gets_one_discount(
    db: Database, world: World
) -> None:
    coupon = await support.coupon(db, "UNLIMITED")
    # No barrier: redeeming locks the customer's row first, so the second unit of work waits
    # there (before reading the coupon) until the first commits, then finds its discount.
    results = await race(db, [world.own, world.own], "UNLIMITED", barrier=False)
    codes = sorted(
        "won" if isinstance(r, Discount) else getattr(r, "code", repr(r)) for r in results
    )
    assert codes == [ErrorCode.COUPON_ALREADY_APPLIED, "won"], results
    assert await support.times_redeemed(db, coupon) == 1


async def test_many_concurrent_redemptions_never_exceed_the_maximum(
    db: Database, factory: Factory
) -> None:
    coupon = await support.coupon(db, "THREE-LEFT", max_redemptions=3)
    customers = [await factory.customer(f"racer-{n}") for n in range(6)]
    results = await race(db, customers, "THREE-LEFT")
    assert sum(isinstance(r, Discount) for r in results) == 3, results
    assert await support.times_redeemed(db, coupon) == 3
