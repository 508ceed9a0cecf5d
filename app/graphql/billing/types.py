"""GraphQL types of the billing domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from app.graphql.node import Node, register_node
from app.kit.ids import encode
from app.kit.money import Money
from app.models import PlanInterval

PlanIntervalEnum = strawberry.enum(PlanInterval, name="PlanInterval")


@strawberry.type(description="A plan of the catalog: its price and the limits it grants.")
class Plan(Node):
    pk: strawberry.Private[uuid.UUID]
    code: str
    name: str
    description: str
    price: Money
    interval: PlanInterval
    monthly_quota: int | None
    rate_per_second: int | None
    seats: int | None
    sla: str | None
    version: int
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Plan:
        return cls(
            id=strawberry.ID(encode("pln", row.id)),
            pk=row.id,
            code=row.code,
            name=row.name,
            description=row.description,
            price=Money(row.price_amount, row.currency),
            interval=row.interval,
            monthly_quota=row.monthly_quota,
            rate_per_second=row.rate_per_second,
            seats=row.seats,
            sla=row.sla,
            version=row.version,
            archived_at=row.archived_at,
            created_at=row.created_at,
        )


async def _fetch(info: Any, pk: uuid.UUID) -> Plan | None:
    plan: Plan | None = await info.context.loaders.plan_by_id.load(pk)
    return plan


register_node("pln", _fetch)
