"""What lives for the whole process and is shared by every request, GraphQL or REST."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.passwords import Passwords
from app.db import Database
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    passwords: Passwords
    secret_key: str

    @classmethod
    def create(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            db=Database(settings),
            passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_cost),
            secret_key=settings.resolved_secret_key(),
        )
