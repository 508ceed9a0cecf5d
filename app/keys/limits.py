"""The one place the keys domain reads a customer's limits from.

Today a customer's limits are its plan's `rate_per_second` and `monthly_quota` columns
(`customers.plan_id` → `plans`). When subscriptions with per-customer overrides arrive, this
function's body becomes a call to the billing domain's effective limits; nothing else in the
keys domain changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Every given customer's limits in one statement (a customer without a plan: none)."""
    wanted = list(customer_ids)
    statement = (
        sa.select(CUSTOMERS.c.id, PLANS.c.code, PLANS.c.rate_per_second, PLANS.c.monthly_quota)
        .select_from(CUSTOMERS.outerjoin(PLANS, PLANS.c.id == CUSTOMERS.c.plan_id))
        .where(CUSTOMERS.c.id.in_(wanted))
    )
    found = {
        row.id: KeyLimits(row.code, row.rate_per_second, row.monthly_quota)
        for row in await session.execute(statement)
    }
    return {customer_id: found.get(customer_id, NO_LIMITS) for customer_id in wanted}
