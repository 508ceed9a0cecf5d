"""`lastUsedAt`, written behind: verification notes the time in memory, a background loop
(`app/keys/loops.py`) writes the buffer in one batched statement, so the hot path never writes.
A process that dies loses at most one interval of these times, which only tell when a key was
last seen."""

from __future__ import annotations

import uuid
from datetime import datetime


class LastUsed:
    def __init__(self) -> None:
        self._pending: dict[uuid.UUID, datetime] = {}

    def note(self, key_id: uuid.UUID, when: datetime) -> None:
        self._pending[key_id] = when

    def __len__(self) -> int:
        return len(self._pending)

    def drain(self) -> dict[uuid.UUID, datetime]:
        pending, self._pending = self._pending, {}
        return pending

    def restore(self, pending: dict[uuid.UUID, datetime]) -> None:
        """Put back what a failed flush could not write (newer notes win)."""
        for key_id, when in pending.items():
            current = self._pending.get(key_id)
            if current is None or current < when:
                self._pending[key_id] = when


# One buffer per process, shared by the verification endpoint and the loop that flushes it.
BUFFER = LastUsed()
