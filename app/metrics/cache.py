"""The costs cache: 10 minutes, dropped whenever a cost entry is written.

In Redis when `ADMIRAL_REDIS_URL` is set (every process sees the drop), in this process
otherwise. A drop bumps a generation number that is part of every key, so one increment
invalidates every period at once, in either store.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

TTL_SECONDS = 600
_PREFIX = "admiral-metrics-costs"


class CostsCache:
    def __init__(self, redis_url: str | None) -> None:
        self._redis_url = redis_url
        self._redis: Any = None
        self._generation = 0
        self._entries: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}

    def _client(self) -> Any:
        if self._redis is None and self._redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(self._redis_url)
        return self._redis

    async def get(self, period: str) -> dict[str, Any] | None:
        client = self._client()
        if client is not None:
            generation = int(await client.get(f"{_PREFIX}:generation") or 0)
            found = await client.get(f"{_PREFIX}:{generation}:{period}")
            return None if found is None else dict(orjson.loads(found))
        entry = self._entries.get((self._generation, period))
        if entry is None or time.monotonic() - entry[0] > TTL_SECONDS:
            return None
        return entry[1]

    async def put(self, period: str, value: dict[str, Any]) -> None:
        client = self._client()
        if client is not None:
            generation = int(await client.get(f"{_PREFIX}:generation") or 0)
            await client.set(
                f"{_PREFIX}:{generation}:{period}", orjson.dumps(value), ex=TTL_SECONDS
            )
            return
        self._entries[(self._generation, period)] = (time.monotonic(), value)

    async def drop(self) -> None:
        client = self._client()
        if client is not None:
            await client.incr(f"{_PREFIX}:generation")
            return
        self._generation += 1
        self._entries.clear()


_caches: dict[str | None, CostsCache] = {}


def costs_cache(redis_url: str | None) -> CostsCache:
    """The process's cache for a Redis URL (or none)."""
    found = _caches.get(redis_url)
    if found is None:
        found = _caches[redis_url] = CostsCache(redis_url)
    return found
