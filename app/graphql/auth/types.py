"""GraphQL types of authentication: master keys, sessions, the viewer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from app.auth.principal import Scope
from app.graphql.node import Node
from app.kit.ids import encode
from app.models import SessionKind

ScopeEnum = strawberry.enum(Scope, name="Scope", description="What a caller may reach.")
SessionKindEnum = strawberry.enum(SessionKind, name="SessionKind")


@strawberry.type(description="A master API key. The secret itself is shown once, at creation.")
class MasterKey(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    prefix: str = strawberry.field(description="The first characters, to tell keys apart.")
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @strawberry.field
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: Any) -> MasterKey:
        return cls(
            id=strawberry.ID(encode("mky", row.id)),
            pk=row.id,
            name=row.name,
            prefix=row.prefix,
            created_by=row.created_by,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="A login (or impersonation) session.")
class Session(Node):
    pk: strawberry.Private[uuid.UUID]
    kind: SessionKind
    read_only: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    client_addr: str | None
    user_agent: str | None

    @classmethod
    def from_row(cls, row: Any) -> Session:
        return cls(
            id=strawberry.ID(encode("ses", row.id)),
            pk=row.id,
            kind=row.kind,
            read_only=row.read_only,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            client_addr=row.client_addr,
            user_agent=row.user_agent,
        )
