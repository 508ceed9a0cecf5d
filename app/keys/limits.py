"""The one place the keys domain reads a customer's limits from: billing's effective limits
(the live subscription's plan version merged with its override), and the plan's code."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.subscriptions.limits import effective_limits
from app.models.tables import CUSTOMERS, PLANS


@dataclass(frozen=True, slots=True)
class KeyLimits:
    plan_code: str | None
    rate_per_second: int | None  # None: unlimited
    monthly_quota: int | None  # None: unlimited


NO_LIMITS = KeyLimits(None, None, None)


async def limits_for(
    session: AsyncSession, customer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, KeyLimits]:
    """Every given customer's limits (a customer without a live subscription: none)."""
    wanted = list(customer_ids)
    if not wanted:
        return {}
    effective = await effective_limits(session, wanted)
    # `customers.plan_id` is kept equal to the live subscription's plan by billing.
    statement = (
        sa.select(CUSTOMERS.c.id, PLANS.c.code)
        .select_from(CUSTOMERS.join(PLANS, PLANS.c.id == CUSTOMERS.c.plan_id))
        .where(CUSTOMERS.c.id.in_(wanted))
    )
    codes = {row.id: row.code for row in await session.execute(statement)}
    found: dict[uuid.UUID, KeyLimits] = {}
    for customer_id in wanted:
        limits = effective[customer_id]
        rate, quota = limits.rate_per_second.value, limits.monthly_quota.value
        found[customer_id] = KeyLimits(
            codes.get(customer_id),
            None if rate is None else int(rate),
            None if quota is None else int(quota),
        )
    return found
