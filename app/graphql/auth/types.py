"""GraphQL types of authentication: master keys, sessions, the viewer."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.auth.principal import Access
from app.auth.repository import MASTER_KEY_MODEL, SESSION_MODEL
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.models import SessionKind

ScopeEnum = strawberry.enum(Access, name="Scope", description="What a caller may reach.")
SessionKindEnum = strawberry.enum(SessionKind, name="SessionKind")


@model_type(
    MASTER_KEY_MODEL,
    description="A master API key. The secret itself is shown once, at creation.",
)
class MasterKey(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    prefix: str = strawberry.field(description="The first characters, to tell keys apart.")
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


@model_type(SESSION_MODEL, description="A login (or impersonation) session.")
class Session(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    kind: SessionKind
    read_only: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    client_addr: str | None
    user_agent: str | None
