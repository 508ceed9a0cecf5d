"""Inputs shared by plan and subscription mutations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import strawberry

from app.billing.plans.service import Limits
from app.billing.subscriptions.service import ProrationBehavior

ProrationBehaviorEnum = strawberry.enum(
    ProrationBehavior,
    name="ProrationBehavior",
    description="CREATE_PRORATIONS: lines wait for the next invoice; ALWAYS_INVOICE: lines "
    "are invoiced at once; NONE: the new price starts with the next period.",
)


@strawberry.input(description="Limits; an omitted one is not given, null means unlimited.")
class PlanLimitsInput:
    monthly_quota: int | None = strawberry.UNSET
    rate_per_second: int | None = strawberry.UNSET
    seats: int | None = strawberry.UNSET
    sla_percent: Decimal | None = strawberry.UNSET

    NAMES: ClassVar[dict[str, str]] = {
        "monthly_quota": "monthlyQuota",
        "rate_per_second": "ratePerSecond",
        "seats": "seats",
        "sla_percent": "slaPercent",
    }

    def given(self) -> frozenset[str]:
        """The python names of the limits given."""
        return frozenset(name for name in self.NAMES if self._value(name) is not strawberry.UNSET)

    def given_names(self) -> frozenset[str]:
        """The GraphQL names of the limits given."""
        return frozenset(self.NAMES[name] for name in self.given())

    def _value(self, name: str) -> Any:
        return getattr(self, name)

    def limits(self) -> Limits:
        """The limits given; the omitted ones are None (the service merges by `given`)."""
        return Limits(**{name: self._value(name) for name in self.given()})
