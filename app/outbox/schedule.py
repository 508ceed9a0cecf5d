"""When a failed delivery (or mail) is tried again: the Standard Webhooks schedule, jittered."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

# The wait before attempt n+1 (the first attempt goes out at once).
DELAYS = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(DELAYS)
JITTER = 0.1  # ±10 %, so retries of many deliveries spread out
# An endpoint failing this long (and not answering 410 earlier) is disabled.
DISABLE_AFTER = timedelta(days=5)


def next_attempt(attempts_made: int, now: datetime) -> datetime | None:
    """When attempt `attempts_made + 1` is due, or None once every attempt was made."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    delay = DELAYS[attempts_made]
    return now + delay * random.uniform(1 - JITTER, 1 + JITTER)
