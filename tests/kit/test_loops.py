"""Background loops run their step repeatedly, survive a failing step, and stop cleanly."""

from __future__ import annotations

import asyncio

from app.db import Database
from app.kit.loops import Loop, Loops
from app.main import declared_loops
from app.settings import Settings


async def test_a_loop_repeats_its_step_and_a_failure_does_not_end_it() -> None:
    calls: list[int] = []
    third = asyncio.Event()

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the first step fails")
        if len(calls) == 3:
            third.set()

    loops = Loops([Loop("test", interval_seconds=0.001, step=step)])
    loops.start()
    await asyncio.wait_for(third.wait(), timeout=5)
    await loops.stop()
    assert len(calls) >= 3
    assert loops._tasks == []  # every loop ended


async def test_stop_lets_a_running_step_finish() -> None:
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def step() -> None:
        started.set()
        await release.wait()
        finished.set()

    loops = Loops([Loop("slow", interval_seconds=60, step=step)])
    loops.start()
    await asyncio.wait_for(started.wait(), timeout=5)
    stopping = asyncio.create_task(loops.stop(grace_seconds=5))
    release.set()
    await stopping
    assert finished.is_set()


def test_the_app_collects_the_loops_domains_declare(db: Database, settings: Settings) -> None:
    declared = declared_loops(db, settings)
    assert all(isinstance(loop, Loop) for loop in declared)
    assert len({loop.name for loop in declared}) == len(declared)
