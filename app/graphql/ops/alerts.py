"""Operational alerts: `alerts` (master only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import master_only
from app.graphql.root import query
from app.models.runtime_settings import AlertStatus
from app.ops.alert_repository import ALERT_MODEL

AlertStatusEnum = strawberry.enum(AlertStatus, name="AlertStatus")


@model_type(
    ALERT_MODEL,
    description="A threshold of `alertThresholds` crossed: FIRING until the figure is back "
    "under it, then RESOLVED.",
)
class Alert(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    kind: str = strawberry.field(
        description="FAILED_DELIVERIES, OUTBOX_AGE, AGGREGATOR_LAG, ERROR_RATE or RUNWAY."
    )
    message: str
    value: float = strawberry.field(description="The figure when it fired.")
    threshold: float
    status: AlertStatus
    fired_at: datetime
    resolved_at: datetime | None
    delivered: bool = strawberry.field(
        description="Whether alertWebhookUrl answered 2xx to the firing post."
    )
    delivery_error: str | None = strawberry.field(description="Why it was not delivered.")


@strawberry.input
class AlertFilter:
    status: AlertStatus | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Fired at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Fired before.")


@query(master_only, "Alerts fired by the alert loop, newest first.")
async def alerts(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: AlertFilter | None = None,
) -> Connection[Alert] | None:
    given = filter or AlertFilter()
    return await paginate(
        info,
        ALERT_MODEL,
        Alert.from_row,
        first=first,
        after=after,
        filters={"status": given.status, "from": given.from_, "to": given.to},
    )
