"""Login attempts under way, counted with the failures already stored.

The stored failures alone lag behind a burst: each attempt counts them, then checks the password,
and its own failure is written only after its unit of work rolled back. Fifty logins sent at once
would all count the same few rows and all be checked. An attempt therefore takes a place here
(synchronously, right after it counted, so no other attempt of this process runs in between) and
keeps it until its outcome is known: a success or a refusal frees it, a failure frees it once its
stored row is committed. Other processes see only the stored rows; a burst spread over N
processes is checked at most N times the limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

# A place never freed (a crashed failure write) stops counting after this long.
STALE_AFTER_SECONDS = 60.0


class Attempts:
    def __init__(self) -> None:
        self._started: dict[str, list[float]] = {}

    def under_way(self, key: str) -> int:
        now = time.monotonic()
        started = [at for at in self._started.get(key, ()) if now - at < STALE_AFTER_SECONDS]
        if started:
            self._started[key] = started
        else:
            self._started.pop(key, None)
        return len(started)

    def begin(self, keys: Iterable[str]) -> None:
        now = time.monotonic()
        for key in keys:
            self._started.setdefault(key, []).append(now)

    def end(self, keys: Iterable[str]) -> None:
        for key in keys:
            started = self._started.get(key)
            if started:
                started.pop(0)
                if not started:
                    del self._started[key]


ATTEMPTS = Attempts()
