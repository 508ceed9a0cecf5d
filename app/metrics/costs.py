"""A month's costs: live from the cost entries, modeled from usage × unit costs when the month
has none, cached 10 minutes (`cache.py`)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from app.db import Reader
from app.kit import clock
from app.metrics import repository, usage_source
from app.metrics.cache import costs_cache
from app.metrics.periods import DateRange

LIVE_CONFIDENCE = 1.0
# Modeled costs are usage times a declared unit cost: right in shape, rough in size.
MODELED_CONFIDENCE = 0.5


async def month_costs(
    reader: Reader, period: DateRange, currency: str, redis_url: str | None
) -> dict[str, Any]:
    """The figures as plain JSON (what the cache keeps), with `cacheAgeMs` of this answer."""
    cache = costs_cache(redis_url)
    key = f"{currency}:{period.start.isoformat()[:7]}"
    found = await cache.get(key)
    if found is None:
        found = await _compute(reader, period, currency)
        await cache.put(key, found)
    fetched = datetime.fromisoformat(found["fetchedAt"])
    age = max(0, int((clock.now() - fetched).total_seconds() * 1000))
    return {**found, "cacheAgeMs": age}


async def _compute(reader: Reader, period: DateRange, currency: str) -> dict[str, Any]:
    started = time.perf_counter()
    by_category, by_day, count = await repository.live_costs(reader, period, currency)
    fetched_at = clock.now().isoformat()
    if count:
        return {
            "source": "LIVE",
            "confidence": LIVE_CONFIDENCE,
            "fallbackReason": None,
            "total": sum(by_category.values()),
            "byCategory": sorted(by_category.items()),
            "byDay": [(day.isoformat(), amount) for day, amount in sorted(by_day.items())],
            "entries": count,
            "fetchedAt": fetched_at,
            "computeMs": (time.perf_counter() - started) * 1000,
        }
    modeled = await usage_source.modeled_costs(reader, period, currency)
    # A few metrics × the month's days, each cell already an SQL aggregate of the rollups.
    categories: dict[str, int] = {}
    days: dict[str, int] = {}
    for item in modeled:
        categories[item.category] = categories.get(item.category, 0) + item.amount
        days[item.day.isoformat()] = days.get(item.day.isoformat(), 0) + item.amount
    reason = (
        "No cost entries for this month: modeled from usage × unit costs."
        if modeled
        else "No cost entries for this month and no usage with a unit cost rolled up to model "
        "them from."
    )
    return {
        "source": "MODELED",
        "confidence": MODELED_CONFIDENCE if modeled else 0.0,
        "fallbackReason": reason,
        "total": sum(categories.values()),
        "byCategory": sorted(categories.items()),
        "byDay": sorted(days.items()),
        "entries": 0,
        "fetchedAt": fetched_at,
        "computeMs": (time.perf_counter() - started) * 1000,
    }
