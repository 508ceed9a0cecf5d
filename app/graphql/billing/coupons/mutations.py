"""Coupon mutations (master only): create, delete, apply to a customer; remove a discount."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.billing.coupons import service
from app.billing.gateway import mirror
from app.graphql.billing.coupons.types import Coupon, Discount
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import master_writer
from app.kit.uow import UnitOfWork
from app.models.coupons import CouponDuration


@strawberry.input
class CouponCreateInput:
    code: str = strawberry.field(
        description="3–64 letters, digits, `-` or `_`; stored upper case, unique forever."
    )
    name: str
    duration: CouponDuration
    percent_off: float | None = strawberry.field(
        default=None,
        description="Percent off (above 0, at most 100, two decimals at most). "
        "Give this or amountOff with currency.",
    )
    amount_off: int | None = strawberry.field(
        default=None, description="Minor units off; needs currency. Give this or percentOff."
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code of amountOff; only with amountOff."
    )
    duration_in_months: int | None = strawberry.field(
        default=None, description="Required for REPEATING (1–120), refused otherwise."
    )
    max_redemptions: int | None = strawberry.field(
        default=None, description="How many customers may redeem it; none: unlimited."
    )
    redeem_by: datetime | None = strawberry.field(
        default=None, description="Last moment it can be redeemed (in the future)."
    )
    applies_to_plans: list[str] | None = strawberry.field(
        default=None, description="Plan codes it is limited to; none: every plan."
    )


@strawberry.type
class CouponCreatePayload(Payload):
    coupon: Coupon | None = None


@mutation(master_writer, "Create a coupon: a percent or an amount off, for a duration.")
async def coupon_create(
    info: Info, input: CouponCreateInput, uow: UnitOfWork
) -> CouponCreatePayload:
    coupon = await service.create_coupon(
        uow,
        code=input.code,
        name=input.name,
        duration=input.duration,
        percent_off=input.percent_off,
        amount_off=input.amount_off,
        currency=input.currency,
        duration_in_months=input.duration_in_months,
        max_redemptions=input.max_redemptions,
        redeem_by=input.redeem_by,
        applies_to_plans=input.applies_to_plans,
    )
    await mirror.coupon_created(uow, mirror.stripe_of(info.context.settings), coupon)
    return CouponCreatePayload(coupon=await read_back(uow.session, Coupon, coupon.id))


@strawberry.input
class CouponDeleteInput:
    code: str


@strawberry.type
class CouponDeletePayload(Payload):
    coupon: Coupon | None = None


@mutation(
    master_writer,
    "Delete a coupon: it can no longer be redeemed; discounts already running keep running.",
)
async def coupon_delete(
    info: Info, input: CouponDeleteInput, uow: UnitOfWork
) -> CouponDeletePayload:
    coupon = await service.delete_coupon(uow, code=input.code)
    return CouponDeletePayload(coupon=await read_back(uow.session, Coupon, coupon.id))


@strawberry.input
class CouponApplyInput:
    customer_id: strawberry.ID
    code: str


@strawberry.type
class CouponApplyPayload(Payload):
    discount: Discount | None = None


@mutation(
    master_writer,
    "Apply a coupon to a customer (for the customer's current plan): it becomes a discount.",
)
async def coupon_apply(info: Info, input: CouponApplyInput, uow: UnitOfWork) -> CouponApplyPayload:
    discount = await service.apply_coupon(
        uow, customer_id=customer_id_of(input.customer_id), code=input.code
    )
    return CouponApplyPayload(discount=await read_back(uow.session, Discount, discount.id))


@strawberry.input
class DiscountRemoveInput:
    discount_id: strawberry.ID


@strawberry.type
class DiscountRemovePayload(Payload):
    discount: Discount | None = None


def _discount_id(value: strawberry.ID) -> uuid.UUID:
    discount_id: uuid.UUID = input_id(value, Discount.PREFIX, "discountId", "Discount")
    return discount_id


@mutation(master_writer, "End a discount now; later invoices no longer take it off.")
async def discount_remove(
    info: Info, input: DiscountRemoveInput, uow: UnitOfWork
) -> DiscountRemovePayload:
    discount = await service.remove_discount(uow, discount_id=_discount_id(input.discount_id))
    return DiscountRemovePayload(discount=await read_back(uow.session, Discount, discount.id))
