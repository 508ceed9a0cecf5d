"""Audit trail queries."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.audit.repository import AUDIT_EVENT_MODEL
from app.audit.service import verify_chain
from app.graphql.audit.types import AuditChainVerification, AuditEvent
from app.graphql.context import Info
from app.graphql.pagination import Connection, OrderDirection, paginate
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.kit.ids import encode


@strawberry.input
class AuditEventFilter:
    actor_id: strawberry.ID | None = None
    action: str | None = strawberry.field(default=None, description='E.g. "user.suspend".')
    target_id: strawberry.ID | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")


@query(authenticated, "Audit events, newest first; session admins see events of their customers.")
async def audit_events(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: AuditEventFilter | None = None,
    direction: OrderDirection = OrderDirection.DESC,
) -> Connection[AuditEvent]:
    given = filter or AuditEventFilter()
    return await paginate(
        info,
        AUDIT_EVENT_MODEL,
        AuditEvent.from_row,
        first=first,
        after=after,
        filters={
            "actor_id": given.actor_id,
            "action": given.action,
            "target_id": given.target_id,
            "from_": given.from_,
            "to": given.to,
        },
        direction=direction,
    )


@query(master_only, "Recompute every event's hash in order; reports the first broken link.")
async def audit_chain_verify(info: Info) -> AuditChainVerification | None:
    async with info.context.db.write_session() as session:
        result = await verify_chain(session)
    return AuditChainVerification(
        ok=result.ok,
        checked=result.checked,
        first_broken_id=(
            strawberry.ID(encode(AuditEvent.PREFIX, result.first_broken_id))
            if result.first_broken_id
            else None
        ),
    )
