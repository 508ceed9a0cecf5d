"""GraphQL types of coupons and discounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.billing.coupons.repository import COUPON_MODEL, DISCOUNT_MODEL
from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.kit.money import Money
from app.models.coupons import CouponDuration

if TYPE_CHECKING:
    from app.graphql.customers.types import Customer

CouponDurationEnum = strawberry.enum(
    CouponDuration,
    name="CouponDuration",
    description="ONCE: the next invoice; REPEATING: for durationInMonths months; FOREVER.",
)


@model_type(
    COUPON_MODEL,
    description="A discount an operator offers: a percentage or an amount off, for a duration.",
)
class Coupon(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    code: str = strawberry.field(description="Unique, upper case; customers type it in any case.")
    name: str
    percent_off: float | None = strawberry.field(
        description="Percent off the subtotal (two decimals at most); null for an amount off."
    )
    amount_off: Money | None = strawberry.field(
        description="A fixed amount off, in its currency only; null for a percent off."
    )
    duration: CouponDuration
    duration_in_months: int | None = strawberry.field(description="Set for REPEATING only.")
    max_redemptions: int | None = strawberry.field(description="Null: no limit.")
    redemptions_count: int = strawberry.field(description="How often it has been redeemed.")
    redeem_by: datetime | None = strawberry.field(description="Last moment it can be redeemed.")
    applies_to_plans: list[str] | None = strawberry.field(
        description="Plan codes it is limited to; null: every plan."
    )
    active: bool = strawberry.field(
        description="Redeemable now: not deleted, not past redeemBy, not used up."
    )
    stripe_coupon_id: str | None
    created_at: datetime
    deleted_at: datetime | None = strawberry.field(
        description="Deleted coupons are not redeemable; their discounts keep running."
    )


@model_type(DISCOUNT_MODEL, description="A coupon applied to a customer.")
class Discount(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    code: str = strawberry.field(description="The code of its coupon.")
    name: str = strawberry.field(description="The name of its coupon.")
    percent_off: float | None
    amount_off: Money | None
    duration: CouponDuration
    started_at: datetime
    ends_at: datetime | None = strawberry.field(
        description="REPEATING: start plus its months; ONCE: when its invoice used it; "
        "FOREVER: null."
    )
    removed_at: datetime | None
    invoices_applied: int = strawberry.field(description="Invoices it has taken money off.")
    active: bool
    created_at: datetime

    @strawberry.field
    def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("app.graphql.customers.types")] | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]
