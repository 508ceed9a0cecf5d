"""Per-customer rate limits of verified keys, counted by the `limits` library: in this process
by default, in Redis when `ADMIRAL_REDIS_URL` is set, so every process shares one count.

- Rate: a fixed one-second window per customer (`ratePerSecond` of its plan, shared by all
  its keys), the strategy that costs one counter increment per request.
- The monthly quota is not counted here: the usage aggregator compares the month's metered
  usage with it and flags the customer's keys (`api_keys.usage_exceeded_until`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Window:
    allowed: bool
    limit: int
    remaining: int
    reset_at: datetime


def storage_for(settings: Settings) -> Storage:
    if settings.redis_url:
        uri = "async+" + settings.redis_url.removeprefix("async+")
        return RedisStorage(uri, implementation="redispy", key_prefix=settings.ratelimit_key_prefix)
    return MemoryStorage()


class Limiter:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)

    async def rate(self, customer_id: uuid.UUID, per_second: int) -> Window:
        item = RateLimitItemPerSecond(per_second, namespace="rate")
        allowed = await self.strategy.hit(item, customer_id.hex)
        stats = await self.strategy.get_window_stats(item, customer_id.hex)
        return Window(
            allowed, per_second, stats.remaining, datetime.fromtimestamp(stats.reset_time, UTC)
        )
