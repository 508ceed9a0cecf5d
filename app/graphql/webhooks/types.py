"""GraphQL types of customer webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.graphql.scalars import JSON
from app.models.webhooks import DeliveryStatus
from app.webhooks.repository import ATTEMPT_MODEL, DELIVERY_MODEL, ENDPOINT_MODEL

DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")


@model_type(
    ENDPOINT_MODEL,
    description="A URL of a customer's that receives the events it subscribes to, signed per "
    "Standard Webhooks.",
)
class WebhookEndpoint(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (410 Gone, five days of failures, an operator)."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when the secret before the last rotation still signs, too."
    )
    failing_since: datetime | None = strawberry.field(
        description="The first failed attempt since the last success."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]


@model_type(ATTEMPT_MODEL, description="One attempt to send a delivery.")
class WebhookAttempt(ModelObject, Node):
    attempted_at: datetime
    status_code: int | None = strawberry.field(description="The HTTP status answered, if any.")
    duration_ms: int
    error: str | None
    response_excerpt: str | None = strawberry.field(description="The first kilobyte of the answer.")
    next_retry_at: datetime | None = strawberry.field(
        description="When the next attempt follows this failed one; null when none will."
    )


@model_type(DELIVERY_MODEL, description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    event_type: str
    payload: JSON = strawberry.field(description="The envelope sent: {type, timestamp, data}.")
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def endpoint(self, info: Info) -> WebhookEndpoint | None:
        return related(self, info, "endpoint")  # type: ignore[no-any-return]

    @strawberry.field(description="Every attempt so far, oldest first.")
    def attempts(self, info: Info) -> list[WebhookAttempt]:
        return related(self, info, "attempts")  # type: ignore[no-any-return]


@strawberry.type(description="An event type endpoints may subscribe to.")
class WebhookEventType:
    type: str
    description: str
    sample_payload: JSON = strawberry.field(description="An example envelope of this event.")
