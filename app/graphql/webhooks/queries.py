"""Webhook queries: deliveries and the catalogue of event types."""

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated
from app.graphql.root import query
from app.graphql.scalars import JSON
from app.graphql.webhooks.types import WebhookDelivery, WebhookEventType
from app.models.webhooks import DeliveryStatus, WebhookEndpoint
from app.outbox.catalog import EVENTS, envelope
from app.webhooks.repository import DELIVERY_MODEL

SAMPLE_TIME = "2026-01-01T00:00:00Z"


@strawberry.input
class WebhookDeliveryFilter:
    endpoint_id: strawberry.ID | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None


@query(authenticated, "Webhook deliveries in the caller's scope, newest first.")
async def webhook_deliveries(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: WebhookDeliveryFilter | None = None,
) -> Connection[WebhookDelivery]:
    given = filter or WebhookDeliveryFilter()
    endpoint_id = (
        parse_id(given.endpoint_id, WebhookEndpoint.PREFIX, "filter.endpointId")
        if given.endpoint_id
        else None
    )
    return await paginate(
        info,
        DELIVERY_MODEL,
        WebhookDelivery.from_row,
        first=first,
        after=after,
        filters={
            "endpoint_id": endpoint_id,
            "status": given.status,
            "event_type": given.event_type.strip()[:100] if given.event_type else None,
        },
    )


@query(authenticated, "The event types endpoints may subscribe to, with a sample payload each.")
def webhook_event_types(info: Info) -> list[WebhookEventType]:
    return [
        WebhookEventType(
            type=event.type,
            description=event.description,
            sample_payload=JSON(envelope(event.type, SAMPLE_TIME, event.sample)),
        )
        for event in EVENTS.values()
    ]
