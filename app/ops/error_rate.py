"""The share of requests answered with a server error, over the last minutes, in this process.

A seam for the alert loop until errors are stored: the request middleware counts every
answer here (`observe`); a store of errors may replace `ERRORS.percent` later. Counts are kept
per second in a ring, so observing is O(1) and memory is bounded whatever the traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_SECONDS = 300
# Below this many requests in the window the rate says nothing (one failure of two is 50 %).
MIN_REQUESTS = 20


class ErrorRate:
    def __init__(
        self, window_seconds: int = WINDOW_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window_seconds
        self._now = now
        self._seconds = [-1] * window_seconds
        self._total = [0] * window_seconds
        self._failed = [0] * window_seconds

    def observe(self, status: int) -> None:
        second = int(self._now())
        slot = second % self.window
        if self._seconds[slot] != second:
            self._seconds[slot], self._total[slot], self._failed[slot] = second, 0, 0
        self._total[slot] += 1
        if status >= 500:
            self._failed[slot] += 1

    def counts(self) -> tuple[int, int]:
        """(requests, server errors) in the window."""
        oldest = int(self._now()) - self.window
        total = failed = 0
        for slot, second in enumerate(self._seconds):
            if second > oldest:
                total += self._total[slot]
                failed += self._failed[slot]
        return total, failed

    def percent(self, min_requests: int = MIN_REQUESTS) -> float | None:
        total, failed = self.counts()
        if total < min_requests:
            return None
        return failed * 100.0 / total

    def reset(self) -> None:
        self._seconds = [-1] * self.window
        self._total = [0] * self.window
        self._failed = [0] * self.window


ERRORS = ErrorRate()
