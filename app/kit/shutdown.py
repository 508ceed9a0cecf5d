"""What a process must do before it exits: flush in-process buffers, give back claimed work.

Each application has its registry, `Runtime.shutdown` (`app/runtime.py`), for hooks bound to
its database (the usage aggregator's flush, the API keys' `lastUsedAt` buffer, the leases its
dispatchers hold, registered by `app/main.py`); a process-wide module holding something in
memory (a log writer) registers with `on_shutdown(name, hook)` when it is imported, into
`HOOKS`. The application's lifespan runs its own hooks, then the process-wide ones, once:
after the server stopped accepting requests and those in flight finished, and after the
background loops ended. Hooks run in registration order, each bounded by the time left of
the shutdown grace; one failing is logged and the next still runs, so a broken hook cannot
keep the others' data in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    ok: bool
    duration_ms: float
    error: str | None = None


class ShutdownHooks:
    def __init__(self) -> None:
        self._hooks: dict[str, Hook] = {}

    def register(self, name: str, hook: Hook) -> None:
        """Add (or replace: a module imported twice registers once) the hook `name`."""
        self._hooks[name] = hook

    def unregister(self, name: str) -> None:
        self._hooks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return list(self._hooks)

    async def run(self, timeout_seconds: float) -> list[Outcome]:
        """Run every hook once, in order, within `timeout_seconds` overall."""
        deadline = time.monotonic() + max(timeout_seconds, 0.0)
        outcomes: list[Outcome] = []
        for name, hook in list(self._hooks.items()):
            started = time.monotonic()
            # Each hook gets at least a moment, even when an earlier one used the budget up.
            left = max(deadline - started, 0.5)
            error: str | None = None
            try:
                await asyncio.wait_for(hook(), timeout=left)
            except TimeoutError:
                error = f"did not finish within {left:.1f} s"
                log.error("shutdown hook %s %s", name, error)
            except Exception as failure:
                error = f"{type(failure).__name__}: {failure}"[:500]
                log.exception("shutdown hook %s failed", name)
            outcomes.append(
                Outcome(name, error is None, (time.monotonic() - started) * 1000, error)
            )
        return outcomes


# One registry per process.
HOOKS = ShutdownHooks()


def on_shutdown(name: str, hook: Hook) -> None:
    HOOKS.register(name, hook)
