"""Webhook mutations: endpoints (session admins for their own customers), retries, replays."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import strawberry

from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import writer
from app.graphql.webhooks.types import WebhookDelivery, WebhookEndpoint
from app.kit.uow import UnitOfWork
from app.settings import Settings
from app.webhooks import service
from app.webhooks.sender import Policy


def _policy(settings: Settings) -> Policy:
    return Policy(settings.webhooks_allow_http, settings.webhooks_allow_private)


def _endpoint_id(value: strawberry.ID) -> uuid.UUID:
    endpoint_id: uuid.UUID = input_id(
        value, WebhookEndpoint.PREFIX, "endpointId", "Webhook endpoint"
    )
    return endpoint_id


@strawberry.input
class WebhookEndpointCreateInput:
    customer_id: strawberry.ID
    url: str = strawberry.field(description="https:// unless the server allows http.")
    event_types: list[str] = strawberry.field(description="Types from webhookEventTypes.")
    description: str | None = None


@strawberry.type
class WebhookEndpointSecretPayload(Payload):
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (`whsec_…`), shown this once."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})


@mutation(writer, "Create a webhook endpoint; its signing secret is returned once.")
async def webhook_endpoint_create(
    info: Info, input: WebhookEndpointCreateInput, uow: UnitOfWork
) -> WebhookEndpointSecretPayload:
    issued = await service.create_endpoint(
        uow,
        customer_id=customer_id_of(input.customer_id),
        url=input.url,
        event_types=input.event_types,
        description=input.description,
        secret_key=info.context.runtime.secret_key,
        policy=_policy(info.context.settings),
    )
    return WebhookEndpointSecretPayload(
        endpoint=await read_back(uow.session, WebhookEndpoint, issued.endpoint.id),
        secret=issued.secret,
    )


@strawberry.input
class WebhookEndpointUpdateInput:
    endpoint_id: strawberry.ID
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None


@strawberry.type
class WebhookEndpointPayload(Payload):
    endpoint: WebhookEndpoint | None = None


@mutation(writer, "Change an endpoint's URL, event types, description, or enable/disable it.")
async def webhook_endpoint_update(
    info: Info, input: WebhookEndpointUpdateInput, uow: UnitOfWork
) -> WebhookEndpointPayload:
    endpoint = await service.update_endpoint(
        uow,
        endpoint_id=_endpoint_id(input.endpoint_id),
        url=input.url,
        event_types=input.event_types,
        description=input.description,
        enabled=input.enabled,
        policy=_policy(info.context.settings),
    )
    return WebhookEndpointPayload(
        endpoint=await read_back(uow.session, WebhookEndpoint, endpoint.id)
    )


@strawberry.input
class WebhookEndpointDeleteInput:
    endpoint_id: strawberry.ID


@strawberry.type
class WebhookEndpointDeletePayload(Payload):
    deleted_endpoint_id: strawberry.ID | None = None


@mutation(writer, "Delete an endpoint with its deliveries.")
async def webhook_endpoint_delete(
    info: Info, input: WebhookEndpointDeleteInput, uow: UnitOfWork
) -> WebhookEndpointDeletePayload:
    endpoint = await service.delete_endpoint(uow, endpoint_id=_endpoint_id(input.endpoint_id))
    return WebhookEndpointDeletePayload(
        deleted_endpoint_id=strawberry.ID(service.endpoint_public_id(endpoint))
    )


@strawberry.input
class WebhookEndpointRotateSecretInput:
    endpoint_id: strawberry.ID


@mutation(
    writer,
    "Give an endpoint a new signing secret (returned once); the old one keeps signing beside "
    "it for 24 hours.",
)
async def webhook_endpoint_rotate_secret(
    info: Info, input: WebhookEndpointRotateSecretInput, uow: UnitOfWork
) -> WebhookEndpointSecretPayload:
    issued = await service.rotate_secret(
        uow,
        endpoint_id=_endpoint_id(input.endpoint_id),
        secret_key=info.context.runtime.secret_key,
    )
    return WebhookEndpointSecretPayload(
        endpoint=await read_back(uow.session, WebhookEndpoint, issued.endpoint.id),
        secret=issued.secret,
    )


@strawberry.input
class WebhookEndpointTestInput:
    endpoint_id: strawberry.ID


@mutation(writer, "Send a `webhook.test` event to this endpoint (through the outbox).")
async def webhook_endpoint_test(
    info: Info, input: WebhookEndpointTestInput, uow: UnitOfWork
) -> WebhookEndpointPayload:
    endpoint = await service.send_test(uow, endpoint_id=_endpoint_id(input.endpoint_id))
    return WebhookEndpointPayload(
        endpoint=await read_back(uow.session, WebhookEndpoint, endpoint.id)
    )


@strawberry.input
class WebhookDeliveryRetryInput:
    delivery_id: strawberry.ID


@strawberry.type
class WebhookDeliveryRetryPayload(Payload):
    delivery: WebhookDelivery | None = None


@mutation(writer, "Send one delivery again now, with a fresh set of attempts.")
async def webhook_delivery_retry(
    info: Info, input: WebhookDeliveryRetryInput, uow: UnitOfWork
) -> WebhookDeliveryRetryPayload:
    delivery_id: uuid.UUID = input_id(
        input.delivery_id, WebhookDelivery.PREFIX, "deliveryId", "Webhook delivery"
    )
    delivery = await service.retry_delivery(uow, delivery_id=delivery_id)
    return WebhookDeliveryRetryPayload(
        delivery=await read_back(uow.session, WebhookDelivery, delivery.id)
    )


@strawberry.input
class WebhookEndpointReplayInput:
    endpoint_id: strawberry.ID
    since: datetime = strawberry.field(description="Replay deliveries created from this time.")


@strawberry.type
class WebhookEndpointReplayPayload(Payload):
    endpoint: WebhookEndpoint | None = None
    requeued: int = strawberry.field(default=0, description="How many deliveries go again.")


@mutation(writer, "Send again every delivery of the endpoint that failed since a time.")
async def webhook_endpoint_replay(
    info: Info, input: WebhookEndpointReplayInput, uow: UnitOfWork
) -> WebhookEndpointReplayPayload:
    endpoint, count = await service.replay_endpoint(
        uow, endpoint_id=_endpoint_id(input.endpoint_id), since=input.since
    )
    return WebhookEndpointReplayPayload(
        endpoint=await read_back(uow.session, WebhookEndpoint, endpoint.id), requeued=count
    )
