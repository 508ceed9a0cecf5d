"""Who is acting: what the audit trail records for every change."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActorType(enum.StrEnum):
    MASTER_KEY = "MASTER_KEY"
    USER = "USER"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: str | None  # the public id of the key or user, None for the system
    impersonator_id: str | None = None
    request_id: str | None = None
    client_addr: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(ActorType.SYSTEM, name)
