"""A customer's effective limits: its plan version's limits merged with the subscription's
override, each saying where it came from. API-key enforcement reads them through
`effective_limits(session, customer_ids)`."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.plans.repository import live_subscription
from app.kit.readmodel import within
from app.kit.scope import EVERYTHING, RowScope
from app.models.tables import PLAN_VERSIONS, SUBSCRIPTIONS

# (GraphQL name, column) of each limit, in the order they are shown.
LIMITS = (
    ("monthlyQuota", "monthly_quota"),
    ("ratePerSecond", "rate_per_second"),
    ("seats", "seats"),
    ("slaPercent", "sla_percent"),
)
LIMIT_NAMES = frozenset(name for name, _ in LIMITS)


class LimitSource(enum.StrEnum):
    PLAN = "PLAN"  # the subscription's plan version
    OVERRIDE = "OVERRIDE"  # subscriptionLimitsOverride
    NONE = "NONE"  # no live subscription: no limit is granted


@dataclass(frozen=True, slots=True)
class EffectiveLimit:
    name: str
    value: int | Decimal | None  # None: unlimited (or, for the SLA, none)
    source: LimitSource


@dataclass(frozen=True, slots=True)
class EffectiveLimits:
    monthly_quota: EffectiveLimit
    rate_per_second: EffectiveLimit
    seats: EffectiveLimit
    sla_percent: EffectiveLimit
    override_reason: str | None = None

    def items(self) -> list[EffectiveLimit]:
        return [self.monthly_quota, self.rate_per_second, self.seats, self.sla_percent]


def _none(name: str) -> EffectiveLimit:
    return EffectiveLimit(name, None, LimitSource.NONE)


NO_SUBSCRIPTION = EffectiveLimits(
    _none("monthlyQuota"), _none("ratePerSecond"), _none("seats"), _none("slaPercent")
)


def statement(customer_ids: Iterable[uuid.UUID], scope: RowScope = EVERYTHING) -> sa.Select[Any]:
    """Each live subscription's customer, override and plan version limits, in `scope`."""
    return (
        sa.select(
            SUBSCRIPTIONS.c.customer_id,
            SUBSCRIPTIONS.c.limits_override,
            SUBSCRIPTIONS.c.limits_override_reason,
            *(PLAN_VERSIONS.c[column] for _, column in LIMITS),
        )
        .join(PLAN_VERSIONS, PLAN_VERSIONS.c.id == SUBSCRIPTIONS.c.plan_version_id)
        .where(
            SUBSCRIPTIONS.c.customer_id.in_(list(customer_ids)),
            live_subscription(),
            *within(SUBSCRIPTIONS.c.customer_id, scope),
        )
    )


def _override_value(name: str, value: Any) -> int | Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)) if name == "slaPercent" else int(value)


def merged(row: Any) -> EffectiveLimits:
    override: dict[str, Any] = row.limits_override or {}
    values = []
    for name, column in LIMITS:
        if name in override:
            values.append(
                EffectiveLimit(name, _override_value(name, override[name]), LimitSource.OVERRIDE)
            )
        else:
            values.append(EffectiveLimit(name, row._mapping[column], LimitSource.PLAN))
    quota, rate, seats, sla = values
    return EffectiveLimits(quota, rate, seats, sla, override_reason=row.limits_override_reason)


def from_rows(
    customer_ids: Collection[uuid.UUID], rows: Iterable[Any]
) -> dict[uuid.UUID, EffectiveLimits]:
    found = {row.customer_id: merged(row) for row in rows}
    return {customer_id: found.get(customer_id, NO_SUBSCRIPTION) for customer_id in customer_ids}


async def effective_limits(
    session: AsyncSession, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, EffectiveLimits]:
    """Every given customer's effective limits (NONE-sourced when it has no live subscription),
    in one statement."""
    if not customer_ids:
        return {}
    rows = (await session.execute(statement(customer_ids))).all()
    return from_rows(customer_ids, rows)
