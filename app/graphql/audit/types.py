"""GraphQL types of the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.audit.repository import AUDIT_EVENT_MODEL
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.scalars import JSON
from app.kit.actor import ActorType

ActorTypeEnum = strawberry.enum(ActorType, name="ActorType")


@model_type(
    AUDIT_EVENT_MODEL, description="One change, who made it, and its place in the hash chain."
)
class AuditEvent(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    seq: int
    created_at: datetime
    actor_type: ActorType
    actor_id: str | None
    impersonator_id: str | None
    action: str
    target_type: str
    target_id: str | None
    customer_id: strawberry.ID | None
    diff: JSON = strawberry.field(
        description='Changed fields: {"field": {"before": …, "after": …}}, secrets redacted.'
    )
    request_id: str | None
    client_addr: str | None
    prev_hash: str | None
    hash: str | None


@strawberry.type(description="The result of recomputing the audit chain.")
class AuditChainVerification:
    ok: bool
    checked: int = strawberry.field(description="Events verified before stopping.")
    first_broken_id: strawberry.ID | None = strawberry.field(
        description="The first event whose hash or link does not match, if any."
    )
