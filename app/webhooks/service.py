"""Webhook endpoints of a customer: create, update, delete, rotate the secret, test, retry, replay.

Session admins manage the endpoints of their own customers (the row scope finds no other).
A URL is checked against server-side request forgery when saved (`app/webhooks/sender.py`) and
again at every send. The signing secret is returned once and stored encrypted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.crypto import encrypt
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from app.outbox.catalog import EVENTS, TEST_EVENT
from app.webhooks import repository, signing
from app.webhooks.sender import Policy, UnsafeURL, check_url

MAX_DESCRIPTION = 500
MAX_EVENT_TYPES = 100
# After a rotation the old secret keeps signing this long, beside the new one.
ROTATION_OVERLAP = timedelta(hours=24)


def endpoint_public_id(endpoint: WebhookEndpoint) -> str:
    return encode(WebhookEndpoint.PREFIX, endpoint.id)


def _view(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "eventTypes": list(endpoint.event_types),
        "enabled": endpoint.enabled,
    }


def _record(
    uow: UnitOfWork,
    action: str,
    endpoint: WebhookEndpoint,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    uow.record(
        action,
        "WebhookEndpoint",
        endpoint_public_id(endpoint),
        before=before,
        after=after,
        customer_id=endpoint.customer_id,
    )


async def _checked_url(url: str, policy: Policy) -> str:
    url = url.strip()
    if not url:
        raise UserInputError("Give the endpoint's URL.", ErrorCode.REQUIRED, "url")
    try:
        await check_url(url, policy)
    except UnsafeURL as refusal:
        raise UserInputError(str(refusal), ErrorCode.UNSAFE_URL, "url") from None
    return url


def _checked_event_types(event_types: list[str]) -> list[str]:
    chosen = sorted({event_type.strip() for event_type in event_types})
    if not chosen:
        raise UserInputError(
            "Subscribe to at least one event type.", ErrorCode.REQUIRED, "eventTypes"
        )
    if len(chosen) > MAX_EVENT_TYPES:
        raise UserInputError("Too many event types.", ErrorCode.TOO_LONG, "eventTypes")
    unknown = [event_type for event_type in chosen if event_type not in EVENTS]
    if unknown:
        raise UserInputError(
            f"Unknown event types: {', '.join(unknown)} (see webhookEventTypes).",
            ErrorCode.UNKNOWN_EVENT_TYPE,
            "eventTypes",
        )
    return chosen


async def _all_checked(
    url: str | None, event_types: list[str] | None, description: str | None, policy: Policy
) -> dict[str, Any]:
    """Every given field checked, every failure reported at once."""
    values: dict[str, Any] = {}
    problems: list[UserInputError] = []
    checks: list[tuple[str, Any]] = []
    if url is not None:
        checks.append(("url", lambda: _checked_url(url, policy)))
    for name, value in checks:
        try:
            values[name] = await value()
        except UserInputError as error:
            problems.append(error)
    try:
        if event_types is not None:
            values["event_types"] = _checked_event_types(event_types)
    except UserInputError as error:
        problems.append(error)
    try:
        if description is not None:
            values["description"] = (
                checked_text(description, "description", MAX_DESCRIPTION, required=False) or None
            )
    except UserInputError as error:
        problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


@dataclass(frozen=True, slots=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


async def create_endpoint(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    url: str,
    event_types: list[str],
    description: str | None,
    secret_key: str,
    policy: Policy,
) -> IssuedEndpoint:
    values = await _all_checked(url, event_types, description, policy)
    customer = await customer_in_scope(uow, customer_id)
    secret = signing.new_secret()
    now = clock.now()
    endpoint = WebhookEndpoint(
        customer_id=customer.id,
        url=values["url"],
        description=values.get("description"),
        event_types=values["event_types"],
        secret_encrypted=encrypt(secret_key, secret),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(endpoint)
    await uow.session.flush()
    _record(uow, "webhook_endpoint.create", endpoint, {}, _view(endpoint))
    return IssuedEndpoint(endpoint, secret)


async def _endpoint(uow: UnitOfWork, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await repository.endpoint_in_scope(uow.session, endpoint_id, uow.row_scope)
    if endpoint is None:
        raise not_found("Webhook endpoint", "endpointId")
    return endpoint


async def update_endpoint(
    uow: UnitOfWork,
    *,
    endpoint_id: uuid.UUID,
    url: str | None,
    event_types: list[str] | None,
    description: str | None,
    enabled: bool | None,
    policy: Policy,
) -> WebhookEndpoint:
    values = await _all_checked(url, event_types, description, policy)
    endpoint = await _endpoint(uow, endpoint_id)
    before = _view(endpoint)
    endpoint.url = values.get("url", endpoint.url)
    endpoint.event_types = values.get("event_types", endpoint.event_types)
    if "description" in values:
        endpoint.description = values["description"]
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        # Enabled again by a person: its failures so far no longer count.
        endpoint.disabled_reason = None if enabled else "Disabled by an operator."
        endpoint.failing_since = None
    after = _view(endpoint)
    if after == before:
        return endpoint
    endpoint.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "webhook_endpoint.update", endpoint, before, after)
    return endpoint


async def delete_endpoint(uow: UnitOfWork, *, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Deletes the endpoint with its deliveries (their attempts go with them)."""
    endpoint = await _endpoint(uow, endpoint_id)
    before = _view(endpoint)
    await uow.session.delete(endpoint)
    await uow.session.flush()
    _record(uow, "webhook_endpoint.delete", endpoint, before, {})
    return endpoint


async def rotate_secret(
    uow: UnitOfWork, *, endpoint_id: uuid.UUID, secret_key: str
) -> IssuedEndpoint:
    endpoint = await _endpoint(uow, endpoint_id)
    secret = signing.new_secret()
    now = clock.now()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret_encrypted = encrypt(secret_key, secret)
    endpoint.updated_at = now
    await uow.session.flush()
    _record(
        uow,
        "webhook_endpoint.rotate_secret",
        endpoint,
        {},
        {"previousSecretExpiresAt": endpoint.previous_secret_expires_at},
    )
    return IssuedEndpoint(endpoint, secret)


def _require_enabled(endpoint: WebhookEndpoint, field: str) -> None:
    if not endpoint.enabled:
        raise UserInputError(
            "This endpoint is disabled: enable it first.", ErrorCode.ENDPOINT_DISABLED, field
        )


async def send_test(uow: UnitOfWork, *, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Publish a `webhook.test` event that goes to this endpoint only."""
    endpoint = await _endpoint(uow, endpoint_id)
    _require_enabled(endpoint, "endpointId")
    uow.publish(
        TEST_EVENT.type,
        {**TEST_EVENT.sample, "endpointId": endpoint_public_id(endpoint)},
        customer_id=endpoint.customer_id,
    )
    _record(uow, "webhook_endpoint.test", endpoint, {}, {})
    return endpoint


async def retry_delivery(uow: UnitOfWork, *, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery again now, whatever its state, unless it is being sent this moment."""
    delivery = await repository.delivery_in_scope(uow.session, delivery_id, uow.row_scope)
    if delivery is None:
        raise not_found("Webhook delivery", "deliveryId")
    now = clock.now()
    if delivery.lease_until is not None and delivery.lease_until > now:
        raise UserInputError(
            "This delivery is being sent right now.", ErrorCode.INVALID_STATE, "deliveryId"
        )
    endpoint = await _endpoint(uow, delivery.endpoint_id)
    _require_enabled(endpoint, "deliveryId")
    before = {"status": delivery.status}
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.attempt_count = 0
    delivery.updated_at = now
    await uow.session.flush()
    uow.record(
        "webhook_delivery.retry",
        "WebhookDelivery",
        encode(WebhookDelivery.PREFIX, delivery.id),
        before=before,
        after={"status": delivery.status},
        customer_id=delivery.customer_id,
    )
    return delivery


async def replay_endpoint(
    uow: UnitOfWork, *, endpoint_id: uuid.UUID, since: datetime
) -> tuple[WebhookEndpoint, int]:
    """Send again every delivery of the endpoint that failed since `since`."""
    endpoint = await _endpoint(uow, endpoint_id)
    _require_enabled(endpoint, "endpointId")
    now = clock.now()
    if since > now:
        raise UserInputError("`since` is in the future.", ErrorCode.INVALID, "since")
    count = await repository.requeue_failed(uow.session, endpoint.id, since, now)
    _record(uow, "webhook_endpoint.replay", endpoint, {}, {"since": since, "requeued": count})
    return endpoint, count
