"""Per-customer rate limits and monthly quotas of verified keys, counted by the `limits`
library: in this process by default, in Redis when `ADMIRAL_REDIS_URL` is set, so every
process shares one count.

- Rate: a fixed one-second window per customer (`ratePerSecond` of its plan, shared by all
  its keys), the strategy that costs one counter increment per request.
- Quota (`monthlyQuota`): a counter per customer in the same store over a fixed 30-day window
  that starts at the first verification counted in it (the library's month). Usage metering
  proper comes with the usage domain; until then this counter is what USAGE_EXCEEDED means, and
  with the in-process store it restarts with the process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from limits import RateLimitItemPerMonth, RateLimitItemPerSecond
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

    async def quota(self, customer_id: uuid.UUID, monthly: int) -> bool:
        item = RateLimitItemPerMonth(monthly, namespace="quota")
        return await self.strategy.hit(item, customer_id.hex)
