"""The values the Stripe gateway takes and answers, in Admiral's terms (minor units, UTC).

`ChargeRequest` and `ChargeResult` are the `BillingGateway` protocol's own
(`app/billing/gateway/base.py`), re-exported here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from app.billing.gateway.base import ChargeRequest as ChargeRequest
from app.billing.gateway.base import ChargeResult as ChargeResult


class ProrationBehavior(enum.StrEnum):
    """Admiral's `prorationBehavior`; the values are Stripe's own spelled in capitals."""

    CREATE_PRORATIONS = "CREATE_PRORATIONS"
    ALWAYS_INVOICE = "ALWAYS_INVOICE"
    NONE = "NONE"

    @property
    def stripe(self) -> str:
        return self.value.lower()


class CouponDuration(enum.StrEnum):
    ONCE = "ONCE"
    REPEATING = "REPEATING"
    FOREVER = "FOREVER"


class CreditNoteReason(enum.StrEnum):
    DUPLICATE = "DUPLICATE"
    FRAUDULENT = "FRAUDULENT"
    ORDER_CHANGE = "ORDER_CHANGE"
    PRODUCT_UNSATISFACTORY = "PRODUCT_UNSATISFACTORY"


class RefundTo(enum.StrEnum):
    CREDIT_BALANCE = "CREDIT_BALANCE"
    ORIGINAL_PAYMENT = "ORIGINAL_PAYMENT"


@dataclass(frozen=True, slots=True)
class PlanPrice:
    """A plan version as Stripe sees it: one recurring price (a legacy plan object)."""

    code: str
    version: int
    name: str
    amount: int
    currency: str
    interval: str  # "MONTH" | "YEAR"

    @property
    def stripe_id(self) -> str:
        # One Stripe plan per plan version: a new price is a new version, never an edit.
        return f"{self.code}-v{self.version}"


@dataclass(frozen=True, slots=True)
class CouponSpec:
    code: str
    duration: CouponDuration
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration_in_months: int | None = None
    name: str | None = None
    max_redemptions: int | None = None
    redeem_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderSubscription:
    """What Stripe answered about a subscription (the fields Admiral stores or checks)."""

    id: str
    customer: str
    status: str  # Stripe's: trialing, active, past_due, canceled, …
    price: str | None
    item_id: str | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool


class GatewayError(Exception):
    """Stripe refused or could not be reached; `message` is safe to show an operator."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status
