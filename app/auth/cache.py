"""Authenticated principals kept for a few seconds, so a request costs no lookup.

An entry holds while the database's auth generation (`app.db.AuthGeneration`) has not moved
since it was read, and for `auth_cache_seconds` of the clock at most: any write to keys,
sessions, users or memberships in this process drops every entry at once, so a revoked key or
session fails on its very next request. Other processes' writes are seen when their entries
run out (the few seconds), which bounds how long a revocation made elsewhere takes to count.

An entry is read again a little before it runs out, by one request only (the first to see it
in its last fifth): the requests running beside it keep the entry meanwhile, so a busy token
costs one lookup per period instead of one per request in flight at its end.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.principal import Principal
from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash

MAX_ENTRIES = 10_000
REFRESH_AHEAD = 0.2  # the part of the period left when one request reads the entry again


class PrincipalCache:
    def __init__(self, db: Database, seconds: float) -> None:
        self.db = db
        self.ttl = timedelta(seconds=seconds)
        self.ahead = self.ttl * REFRESH_AHEAD
        self.enabled = seconds > 0
        # principal, generation read at, end of its period, when it is read again
        self._entries: dict[str, tuple[Principal, int, datetime, datetime]] = {}

    def generation(self) -> int:
        return self.db.auth_generation.value

    def get(self, token: str) -> Principal | None:
        if not self.enabled:
            return None
        hashed = token_hash(token)
        entry = self._entries.get(hashed)
        if entry is None:
            return None
        principal, generation, until, refresh = entry
        now = clock.now()
        if generation != self.generation() or now >= until:
            return None
        if now >= refresh:
            # This caller reads it again (and `put`s it); the others keep it until `until`.
            self._entries[hashed] = (principal, generation, until, until)
            return None
        return principal

    def put(self, token: str, principal: Principal, generation: int) -> None:
        """Keep `principal`, read when the generation was `generation`."""
        if not self.enabled or generation != self.generation():
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        until = clock.now() + self.ttl
        self._entries[token_hash(token)] = (principal, generation, until, until - self.ahead)
