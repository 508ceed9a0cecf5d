"""Background loops: work a process repeats while it serves (renewals, the outbox, flushes).

A domain declares its loops in a `loops.py` module of its package with a function
`loops(db, settings) -> list[Loop]`; the application starts every declared loop when it starts
and stops them when it stops (`app/main.py`), so a new domain adds its loops without editing a
shared list. Each step runs its own units of work through `Database.run`, and must be safe to
run in several processes at once (claim rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL).
Tests call a loop's `step` directly instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loop:
    name: str
    interval_seconds: float
    step: Callable[[], Awaitable[None]]


async def run_forever(loop: Loop, stopping: asyncio.Event) -> None:
    """Run `loop.step` every interval (jittered by ±10 %, so processes spread out) until
    `stopping` is set; a failing step is logged and retried at the next interval."""
    while not stopping.is_set():
        try:
            await loop.step()
        except Exception:
            log.exception("background loop %s failed; retrying at its next interval", loop.name)
        delay = loop.interval_seconds * random.uniform(0.9, 1.1)
        try:
            await asyncio.wait_for(stopping.wait(), timeout=delay)
        except TimeoutError:
            continue


class Loops:
    """The loops of one process, started and stopped together."""

    def __init__(self, loops: list[Loop]) -> None:
        self.loops = loops
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for loop in self.loops:
            self._tasks.append(asyncio.create_task(run_forever(loop, self._stopping)))

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let each running step finish (for at most `grace_seconds`), then end the loops."""
        self._stopping.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
