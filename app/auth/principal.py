"""The authenticated caller and what it may reach (docs/architecture.md: scopes)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace

from app.kit.actor import Actor, ActorType
from app.kit.ids import encode
from app.kit.scope import EVERYTHING, RowScope
from app.models.auth import MasterKey
from app.models.users import User


class Access(enum.StrEnum):
    """How much a principal may reach (docs/architecture.md: scopes); shown as the enum `Scope`.

    Its translation into SQL is the principal's `row_scope` (which rows), a different thing.
    """

    MASTER = "MASTER"
    SESSION = "SESSION"


@dataclass(frozen=True, slots=True)
class Principal:
    access: Access
    row_scope: RowScope
    user_id: uuid.UUID | None = None
    master_key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    read_only: bool = False
    impersonator_user_id: uuid.UUID | None = None
    impersonator_key_id: uuid.UUID | None = None
    request_id: str | None = None
    client_addr: str | None = None

    @property
    def is_master(self) -> bool:
        return self.access is Access.MASTER

    @property
    def is_impersonation(self) -> bool:
        return self.impersonator_user_id is not None or self.impersonator_key_id is not None

    @property
    def impersonator_public_id(self) -> str | None:
        if self.impersonator_user_id is not None:
            return encode(User.PREFIX, self.impersonator_user_id)
        if self.impersonator_key_id is not None:
            return encode(MasterKey.PREFIX, self.impersonator_key_id)
        return None

    @property
    def actor(self) -> Actor:
        if self.master_key_id is not None and self.user_id is None:
            actor_type, actor_id = (
                ActorType.MASTER_KEY,
                encode(MasterKey.PREFIX, self.master_key_id),
            )
        else:
            assert self.user_id is not None
            actor_type, actor_id = ActorType.USER, encode(User.PREFIX, self.user_id)
        return Actor(
            actor_type,
            actor_id,
            impersonator_id=self.impersonator_public_id,
            request_id=self.request_id,
            client_addr=self.client_addr,
        )

    @property
    def idempotency_owner(self) -> str:
        """Whose idempotency keys these are: one namespace per credential holder."""
        if self.session_id is not None and self.is_impersonation:
            return f"imp:{self.session_id.hex}"
        if self.user_id is not None:
            return f"usr:{self.user_id.hex}"
        assert self.master_key_id is not None
        return f"mky:{self.master_key_id.hex}"

    def for_request(self, request_id: str | None, client_addr: str | None) -> Principal:
        return replace(self, request_id=request_id, client_addr=client_addr)


def master_key_principal(key_id: uuid.UUID) -> Principal:
    return Principal(Access.MASTER, EVERYTHING, master_key_id=key_id)
