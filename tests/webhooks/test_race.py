"""Two dispatchers (each with its own database pool, as two processes have) racing over one
outbox: every event reaches the receiver exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from app.db import Database
from app.runtime import database
from app.settings import Settings
from app.webhooks.dispatcher import Dispatcher
from tests.helpers import World
from tests.webhooks import support

EVENTS = 120


async def test_two_dispatchers_lose_and_double_nothing(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(200) as receiver:
        await support.endpoint(db, world.own, receiver.url + "/a")
        await support.endpoint(db, world.own, receiver.url + "/b")
        for number in range(EVENTS):
            await support.publish(db, "customer.updated", world.own, number=number)
        local = support.local_settings(settings)
        second_db = database(local)
        first, second = Dispatcher(db, local), Dispatcher(second_db, local)
        try:
            for _ in range(60):
                sent = await asyncio.gather(first.step(), second.step())
                if sent == [0, 0] and len(receiver.received) >= 2 * EVENTS:
                    break
        finally:
            await first.close()
            await second.close()
            await second_db.dispose()
        seen = Counter((got.path, got.headers["webhook-id"]) for got in receiver.received)
        assert len(seen) == 2 * EVENTS  # none lost
        assert set(seen.values()) == {1}  # none doubled
        deliveries = await support.deliveries(db)
        assert len(deliveries) == 2 * EVENTS
        assert {row.status for row in deliveries} == {"SUCCEEDED"}
        assert len(await support.attempts(db)) == 2 * EVENTS
