"""GraphQL types of the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

import strawberry

from app.audit.repository import AUDIT_EVENT_MODEL
from app.graphql.context import Info
from app.graphql.node import Node, register_node
from app.graphql.permissions import master_only
from app.graphql.scalars import JSON
from app.kit.actor import ActorType
from app.kit.ids import encode

ActorTypeEnum = strawberry.enum(ActorType, name="ActorType")


@strawberry.type(description="One change, who made it, and its place in the hash chain.")
class AuditEvent(Node):
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
    client_addr: str | None = strawberry.field(extensions=master_only())
    prev_hash: str | None = strawberry.field(extensions=master_only())
    hash: str | None = strawberry.field(extensions=master_only())

    @classmethod
    def from_row(cls, row: Any) -> AuditEvent:
        return cls(
            id=strawberry.ID(encode("aud", row.id)),
            pk=row.id,
            seq=row.seq,
            created_at=row.created_at,
            actor_type=row.actor_type,
            actor_id=row.actor_id,
            impersonator_id=row.impersonator_id,
            action=row.action,
            target_type=row.target_type,
            target_id=row.target_id,
            customer_id=strawberry.ID(encode("cus", row.customer_id)) if row.customer_id else None,
            diff=cast(JSON, row.diff),
            request_id=row.request_id,
            client_addr=row.client_addr,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


@strawberry.type(description="The result of recomputing the audit chain.")
class AuditChainVerification:
    ok: bool
    checked: int = strawberry.field(description="Events verified before stopping.")
    first_broken_id: strawberry.ID | None = strawberry.field(
        description="The first event whose hash or link does not match, if any."
    )


async def _fetch_event(info: Info, pk: uuid.UUID) -> AuditEvent | None:
    """An event by id, within the caller's row scope (so `firstBrokenId` can be looked up)."""
    context = info.context
    rows = await context.reader.all(AUDIT_EVENT_MODEL.by_keys_statement("id", [pk], context.scope))
    return AuditEvent.from_row(rows[0]) if rows else None


register_node("aud", _fetch_event)
