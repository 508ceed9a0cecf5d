"""Authenticated principals kept for a few seconds, so a request costs no lookup.

An entry holds while the database's auth generation (`app.db.AuthGeneration`) has not moved
since it was read, and for `auth_cache_seconds` of the clock at most: any write to keys,
sessions, users or memberships in this process drops every entry at once, so a revoked key or
session fails on its very next request. Other processes' writes are seen when their entries
run out (the few seconds), which bounds how long a revocation made elsewhere takes to count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.principal import Principal
from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash

MAX_ENTRIES = 10_000


class PrincipalCache:
    def __init__(self, db: Database, seconds: float) -> None:
        self.db = db
        self.ttl = timedelta(seconds=seconds)
        self.enabled = seconds > 0
        self._entries: dict[str, tuple[Principal, int, datetime]] = {}

    def generation(self) -> int:
        return self.db.auth_generation.value

    def get(self, token: str) -> Principal | None:
        if not self.enabled:
            return None
        entry = self._entries.get(token_hash(token))
        if entry is None:
            return None
        principal, generation, until = entry
        if generation != self.generation() or clock.now() >= until:
            return None
        return principal

    def put(self, token: str, principal: Principal, generation: int) -> None:
        """Keep `principal`, read when the generation was `generation`."""
        if not self.enabled or generation != self.generation():
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[token_hash(token)] = (principal, generation, clock.now() + self.ttl)
