"""Coupon queries (master only)."""

from __future__ import annotations

import enum

import strawberry

from app.billing.coupons.repository import COUPON_MODEL
from app.billing.coupons.service import normalize_code
from app.graphql.billing.coupons.types import Coupon
from app.graphql.context import Info
from app.graphql.pagination import Connection, OrderDirection, paginate
from app.graphql.permissions import master_only
from app.graphql.root import query


@strawberry.input
class CouponFilter:
    active: bool | None = strawberry.field(
        default=None, description="true: redeemable now; false: deleted, expired or used up."
    )


@strawberry.enum
class CouponOrderField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    CODE = "CODE"


@strawberry.input
class CouponOrder:
    field: CouponOrderField = CouponOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@query(master_only, "Coupons, newest first.")
async def coupons(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: CouponFilter | None = None,
    order_by: CouponOrder | None = None,
) -> Connection[Coupon] | None:
    given = filter or CouponFilter()
    order = order_by or CouponOrder()
    return await paginate(
        info,
        COUPON_MODEL,
        Coupon.from_row,
        first=first,
        after=after,
        filters={"active": given.active},
        ordering=order.field.value,
        direction=order.direction,
    )


@query(master_only, "One coupon by its code (any case), deleted ones included; null if none.")
async def coupon(info: Info, code: str) -> Coupon | None:
    statement = COUPON_MODEL.by_keys_statement(
        "code", [normalize_code(code)[:64]], info.context.row_scope
    )
    rows = await info.context.reader.all(statement)
    return Coupon.from_row(rows[0]) if rows else None
