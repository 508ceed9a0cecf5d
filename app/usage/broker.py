"""Stored usage events told to live subscribers (the GraphQL subscription `usageEvents`).

In one process by default; through Redis pub/sub when `ADMIRAL_REDIS_URL` is set, so a
subscriber on any process hears events stored by every process. Each process publishes to
the channel only, and one listener per process hands what the channel carries to its local
subscribers. Best effort: an event is told after its batch commits; a subscriber that falls
more than `QUEUE_SIZE` events behind misses the oldest (the `usageEvents` query is the
complete, ordered record).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "admiral:usage-events"
QUEUE_SIZE = 10_000


class Broker:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._redis_url: str | None = None
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    def configure(self, redis_url: str | None) -> None:
        """Called once per process at start-up (`app/main.py`)."""
        self._redis_url = redis_url

    async def publish(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        if self._redis_url is None:
            self._deliver(events)
            return
        try:
            client = await self._client()
            await client.publish(CHANNEL, json.dumps(events))
        except Exception:
            log.exception("could not publish usage events to Redis")

    def _deliver(self, events: list[dict[str, Any]]) -> None:
        for queue in list(self._queues):
            for event in events:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(event)

    async def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as redis

            assert self._redis_url is not None
            self._redis = redis.from_url(self._redis_url)
        return self._redis

    async def _listen(self, ready: asyncio.Event) -> None:
        client = await self._client()
        pubsub = client.pubsub()
        await pubsub.subscribe(CHANNEL)
        ready.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    self._deliver(json.loads(message["data"]))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _ensure_listening(self) -> None:
        if self._redis_url is None:
            return
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(self._ready))
        assert self._ready is not None
        await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def subscribe(self, customer_id: str | None) -> AsyncIterator[dict[str, Any]]:
        """Every event stored from now on (of one customer, given its hex id)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            await self._ensure_listening()
            while True:
                event = await queue.get()
                if customer_id is None or event["customer_id"] == customer_id:
                    yield event
        finally:
            self._queues.discard(queue)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(BaseException):
                await self._listener
            self._listener = None
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None


BROKER = Broker()
