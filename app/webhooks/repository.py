"""SQL for webhook endpoints, deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import ReadModel, RelationKind, many, one, registry, row_filter, scoped_by
from app.kit.scope import RowScope
from app.models.tables import WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from app.models.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINT_MODEL = registry.register(
    ReadModel(
        name="WebhookEndpoint",
        table=WEBHOOK_ENDPOINTS,
        prefix=WebhookEndpoint.PREFIX,
        fields={
            "url": "url",
            "description": "description",
            "eventTypes": "event_types",
            "enabled": "enabled",
            "disabledReason": "disabled_reason",
            "previousSecretExpiresAt": "previous_secret_expires_at",
            "failingSince": "failing_since",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=scoped_by(WEBHOOK_ENDPOINTS.c.customer_id),
        relations=(one("customer", "Customer", "customer_id"),),
        filters={
            "customer_id": row_filter(lambda value: WEBHOOK_ENDPOINTS.c.customer_id == value),
        },
        orderings={"CREATED_AT": WEBHOOK_ENDPOINTS.c.created_at},
    )
)

DELIVERY_MODEL = registry.register(
    ReadModel(
        name="WebhookDelivery",
        table=WEBHOOK_DELIVERIES,
        prefix=WebhookDelivery.PREFIX,
        fields={
            "eventType": "event_type",
            "payload": "payload",
            "status": "status",
            "attemptCount": "attempt_count",
            "nextAttemptAt": "next_attempt_at",
            "lastStatusCode": "last_status_code",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=scoped_by(WEBHOOK_DELIVERIES.c.customer_id),
        relations=(
            one("endpoint", "WebhookEndpoint", "endpoint_id"),
            many("attempts", "WebhookAttempt", "delivery_id", RelationKind.LIST),
        ),
        filters={
            "endpoint_id": row_filter(lambda value: WEBHOOK_DELIVERIES.c.endpoint_id == value),
            "status": row_filter(lambda value: WEBHOOK_DELIVERIES.c.status == value),
            "event_type": row_filter(lambda value: WEBHOOK_DELIVERIES.c.event_type == value),
        },
        orderings={"CREATED_AT": WEBHOOK_DELIVERIES.c.created_at},
    )
)

ATTEMPT_MODEL = registry.register(
    ReadModel(
        name="WebhookAttempt",
        table=WEBHOOK_ATTEMPTS,
        prefix=WebhookAttempt.PREFIX,
        fields={
            "attemptedAt": "attempted_at",
            "statusCode": "status_code",
            "durationMs": "duration_ms",
            "error": "error",
            "responseExcerpt": "response_excerpt",
            "nextRetryAt": "next_retry_at",
        },
        scope=scoped_by(WEBHOOK_ATTEMPTS.c.customer_id),
        orderings={"CREATED_AT": WEBHOOK_ATTEMPTS.c.attempted_at},
    )
)


async def endpoint_in_scope(
    session: AsyncSession, endpoint_id: uuid.UUID, scope: RowScope
) -> WebhookEndpoint | None:
    statement = sa.select(WebhookEndpoint).where(
        WEBHOOK_ENDPOINTS.c.id == endpoint_id, *ENDPOINT_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def delivery_in_scope(
    session: AsyncSession, delivery_id: uuid.UUID, scope: RowScope
) -> WebhookDelivery | None:
    statement = sa.select(WebhookDelivery).where(
        WEBHOOK_DELIVERIES.c.id == delivery_id, *DELIVERY_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def requeue_failed(
    session: AsyncSession, endpoint_id: uuid.UUID, since: datetime, now: datetime
) -> int:
    """Make the endpoint's failed deliveries since `since` due again; how many."""
    result = await session.execute(
        sa.update(WEBHOOK_DELIVERIES)
        .where(
            WEBHOOK_DELIVERIES.c.endpoint_id == endpoint_id,
            WEBHOOK_DELIVERIES.c.status == DeliveryStatus.FAILED,
            WEBHOOK_DELIVERIES.c.created_at >= since,
        )
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            attempt_count=0,
            lease_token=None,
            lease_until=None,
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
