"""The seam between the metrics and the usage domain's rollups (built beside this one).

Today it answers zeros: no usage is rolled up yet. The usage domain replaces these bodies with
SQL over its daily rollups; the metrics call nothing else for usage.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.db import Reader
from app.metrics.periods import DateRange


@dataclass(frozen=True, slots=True)
class ModeledCost:
    """Usage of one metric in a period times its unit cost (minor units)."""

    category: str
    quantity: int
    unit_cost: int


async def usage_this_period(reader: Reader, period: DateRange) -> int:
    """Every customer's usage in the period (all metrics' quantities). 0: no rollups yet."""
    return 0


async def customer_usage(
    reader: Reader, customer_ids: list[uuid.UUID], period: DateRange
) -> dict[uuid.UUID, int]:
    """Per customer, usage in the period (against its monthly quota). Empty: no rollups yet."""
    return {}


async def modeled_costs(reader: Reader, period: DateRange) -> list[ModeledCost]:
    """Usage × unit cost per metric for the period. Empty: no rollups yet."""
    return []


async def peak_requests_per_second(reader: Reader, period: DateRange) -> float | None:
    """The highest request rate observed in the period; None: no request-rate source yet."""
    return None
