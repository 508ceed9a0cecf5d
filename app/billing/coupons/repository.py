"""SQL for coupons and discounts: read models, lookups, the race-free redemption count."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import (
    Composite,
    Computed,
    ReadModel,
    one,
    registry,
    row_filter,
    scoped_by,
    staff_only,
    within,
)
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.coupons import Coupon, Discount, discount_is_active
from app.models.tables import COUPONS, CUSTOMERS, DISCOUNTS, PLANS


def _now() -> sa.ColumnElement[datetime]:
    return sa.literal(clock.now(), UTCDateTime())


def coupon_is_active() -> sa.ColumnElement[bool]:
    """A coupon that can still be applied: not deleted, not past `redeem_by`, not used up."""
    return sa.and_(
        COUPONS.c.deleted_at.is_(None),
        sa.or_(COUPONS.c.redeem_by.is_(None), COUPONS.c.redeem_by > _now()),
        sa.or_(
            COUPONS.c.max_redemptions.is_(None),
            COUPONS.c.times_redeemed < COUPONS.c.max_redemptions,
        ),
    )


def _percent(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    # Basis points shown as a percentage (1250 → 12.5); a float is exact enough for display,
    # every computation uses the stored integer.
    return sa.cast(column, sa.Float) / 100


COUPON_MODEL = registry.register(
    ReadModel(
        name="Coupon",
        table=COUPONS,
        prefix=Coupon.PREFIX,
        fields={
            "code": "code",
            "name": "name",
            "percentOff": Computed(lambda: _percent(COUPONS.c.percent_off_bp)),
            "amountOff": Composite(
                {"amount": "amount_off", "currency": "currency"},
                when=lambda: COUPONS.c.amount_off.isnot(None),
            ),
            "duration": "duration",
            "durationInMonths": "duration_in_months",
            "maxRedemptions": "max_redemptions",
            "redemptionsCount": "times_redeemed",
            "redeemBy": "redeem_by",
            "appliesToPlans": "applies_to_plans",
            "active": Computed(coupon_is_active),
            "stripeCouponId": "stripe_coupon_id",
            "createdAt": "created_at",
            "deletedAt": "deleted_at",
        },
        # Coupon management is the platform's: session admins never list coupons.
        scope=staff_only,
        filters={
            "active": row_filter(
                lambda active: coupon_is_active() if active else sa.not_(coupon_is_active())
            ),
        },
        orderings={"CREATED_AT": COUPONS.c.created_at, "CODE": COUPONS.c.code},
    )
)


def _of_coupon(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A column of the discount's coupon, as a correlated subquery: a session admin reads what
    their discount takes off without reading the coupon catalogue."""
    return sa.select(column).where(COUPONS.c.id == DISCOUNTS.c.coupon_id).scalar_subquery()


def _discount_active() -> sa.ColumnElement[bool]:
    return discount_is_active(clock.now())


DISCOUNT_MODEL = registry.register(
    ReadModel(
        name="Discount",
        table=DISCOUNTS,
        prefix=Discount.PREFIX,
        fields={
            "code": Computed(lambda: _of_coupon(COUPONS.c.code)),
            "name": Computed(lambda: _of_coupon(COUPONS.c.name)),
            "percentOff": Computed(lambda: _percent(_of_coupon(COUPONS.c.percent_off_bp))),
            "amountOff": Composite(
                {
                    "amount": Computed(lambda: _of_coupon(COUPONS.c.amount_off)),
                    "currency": Computed(lambda: _of_coupon(COUPONS.c.currency)),
                },
                when=lambda: _of_coupon(COUPONS.c.amount_off).isnot(None),
            ),
            "duration": Computed(lambda: _of_coupon(COUPONS.c.duration)),
            "startedAt": "started_at",
            "endsAt": "ends_at",
            "removedAt": "removed_at",
            "invoicesApplied": "invoices_applied",
            "active": Computed(_discount_active),
            "createdAt": "created_at",
        },
        scope=scoped_by(DISCOUNTS.c.customer_id),
        # No `coupon` relation: the discount shows what it takes off itself, and the coupon
        # catalogue is staff-only (a master reads it with `coupon(code:)`).
        relations=(one("customer", "Customer", "customer_id"),),
        filters={
            "active": row_filter(
                lambda active: _discount_active() if active else sa.not_(_discount_active())
            ),
        },
        orderings={"CREATED_AT": DISCOUNTS.c.created_at},
    )
)


# ---------------------------------------------------------------- coupons


async def coupon_by_code(
    session: AsyncSession, code: str, *, include_deleted: bool = False
) -> Coupon | None:
    statement = sa.select(Coupon).where(COUPONS.c.code == code)
    if not include_deleted:
        statement = statement.where(COUPONS.c.deleted_at.is_(None))
    return (await session.execute(statement)).scalar_one_or_none()


async def coupon_code_taken(session: AsyncSession, code: str) -> bool:
    """Codes stay taken after a delete: a code names one coupon forever (audit, invoices)."""
    statement = sa.select(COUPONS.c.id).where(COUPONS.c.code == code).limit(1)
    return (await session.execute(statement)).first() is not None


async def missing_plan_codes(session: AsyncSession, codes: Sequence[str]) -> list[str]:
    """Those of `codes` no plan of the catalogue has."""
    if not codes:
        return []
    statement = sa.select(PLANS.c.code).where(PLANS.c.code.in_(list(codes)))
    found = set((await session.execute(statement)).scalars())
    return [code for code in codes if code not in found]


async def count_redemption(session: AsyncSession, coupon_id: uuid.UUID) -> bool:
    """Count one redemption unless the coupon is used up (or deleted): one conditional UPDATE,
    so two concurrent redemptions of the last one cannot both pass. On PostgreSQL the second
    waits for the first's row lock and then finds the condition false; on SQLite writers are
    serialized anyway."""
    statement = (
        sa.update(COUPONS)
        .where(
            COUPONS.c.id == coupon_id,
            COUPONS.c.deleted_at.is_(None),
            sa.or_(
                COUPONS.c.max_redemptions.is_(None),
                COUPONS.c.times_redeemed < COUPONS.c.max_redemptions,
            ),
        )
        .values(times_redeemed=COUPONS.c.times_redeemed + 1)
        .execution_options(synchronize_session=False)
    )
    result: Any = await session.execute(statement)
    return int(result.rowcount) == 1


async def times_redeemed(session: AsyncSession, coupon_id: uuid.UUID) -> int:
    statement = sa.select(COUPONS.c.times_redeemed).where(COUPONS.c.id == coupon_id)
    return int((await session.execute(statement)).scalar_one())


# ---------------------------------------------------------------- customers and plans


async def current_plan_code(session: AsyncSession, customer_id: uuid.UUID) -> str | None:
    """The code of the customer's current plan, or None.

    The one place coupons read a customer's plan: `customers.plan_id`, which the
    subscriptions service keeps equal to the live subscription's plan."""
    statement = (
        sa.select(PLANS.c.code)
        .select_from(CUSTOMERS.join(PLANS, PLANS.c.id == CUSTOMERS.c.plan_id))
        .where(CUSTOMERS.c.id == customer_id)
    )
    code: str | None = (await session.execute(statement)).scalar_one_or_none()
    return code


# ---------------------------------------------------------------- discounts


async def active_discount_exists(
    session: AsyncSession, customer_id: uuid.UUID, coupon_id: uuid.UUID, at: datetime
) -> bool:
    statement = (
        sa.select(DISCOUNTS.c.id)
        .where(
            DISCOUNTS.c.customer_id == customer_id,
            DISCOUNTS.c.coupon_id == coupon_id,
            discount_is_active(at),
        )
        .limit(1)
    )
    return (await session.execute(statement)).first() is not None


async def discount_in_scope(
    session: AsyncSession, discount_id: uuid.UUID, scope: RowScope
) -> Discount | None:
    statement = sa.select(Discount).where(
        DISCOUNTS.c.id == discount_id, *DISCOUNT_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def coupon_of(session: AsyncSession, coupon_id: uuid.UUID) -> Coupon:
    statement = sa.select(Coupon).where(COUPONS.c.id == coupon_id)
    return (await session.execute(statement)).scalar_one()


async def active_discount_rows(
    session: AsyncSession, customer_id: uuid.UUID, at: datetime
) -> list[tuple[Discount, Coupon]]:
    """The customer's active discounts with their coupons, oldest first."""
    statement = (
        sa.select(Discount, Coupon)
        .join(Coupon, COUPONS.c.id == DISCOUNTS.c.coupon_id)
        .where(DISCOUNTS.c.customer_id == customer_id, discount_is_active(at))
        .order_by(DISCOUNTS.c.started_at, DISCOUNTS.c.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


def active_terms_statement(
    customer_ids: Iterable[uuid.UUID], at: datetime, scope: RowScope
) -> sa.Select[Any]:
    """What each given customer's active discounts take off (oldest first), in `scope`: one
    statement for a page of customers (their MRR after discounts)."""
    return (
        sa.select(
            DISCOUNTS.c.customer_id,
            COUPONS.c.percent_off_bp,
            COUPONS.c.amount_off,
            COUPONS.c.currency,
            COUPONS.c.applies_to_plans,
        )
        .join(COUPONS, COUPONS.c.id == DISCOUNTS.c.coupon_id)
        .where(
            DISCOUNTS.c.customer_id.in_(list(customer_ids)),
            discount_is_active(at),
            *within(DISCOUNTS.c.customer_id, scope),
        )
        .order_by(DISCOUNTS.c.customer_id, DISCOUNTS.c.started_at, DISCOUNTS.c.id)
    )


async def discounts_with_coupons(
    session: AsyncSession, discount_ids: Iterable[uuid.UUID]
) -> list[tuple[Discount, Coupon]]:
    ids = list(discount_ids)
    if not ids:
        return []
    statement = (
        sa.select(Discount, Coupon)
        .join(Coupon, COUPONS.c.id == DISCOUNTS.c.coupon_id)
        .where(DISCOUNTS.c.id.in_(ids))
        .order_by(DISCOUNTS.c.id)
        .with_for_update(of=DISCOUNTS)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]
