"""SQL of the alerts (master only) and of the figures the alert loop watches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit.readmodel import ReadModel, registry, row_filter, staff_only
from app.models.outbox import OutboxEvent
from app.models.runtime_settings import AlertStatus, OpsAlert
from app.models.webhooks import DeliveryStatus, WebhookDelivery

ALERTS: sa.Table = OpsAlert.__table__  # type: ignore[attr-defined]
OUTBOX: sa.Table = OutboxEvent.__table__  # type: ignore[attr-defined]
DELIVERIES: sa.Table = WebhookDelivery.__table__  # type: ignore[attr-defined]

ALERT_MODEL = registry.register(
    ReadModel(
        name="Alert",
        table=ALERTS,
        prefix=OpsAlert.PREFIX,
        fields={
            "kind": "kind",
            "message": "message",
            "value": "value",
            "threshold": "threshold",
            "status": "status",
            "firedAt": "fired_at",
            "resolvedAt": "resolved_at",
            "delivered": "delivered",
            "deliveryError": "delivery_error",
        },
        scope=staff_only,
        filters={
            "status": row_filter(lambda value: ALERTS.c.status == value),
            "from": row_filter(lambda value: ALERTS.c.fired_at >= value),
            "to": row_filter(lambda value: ALERTS.c.fired_at < value),
        },
        orderings={"FIRED_AT": ALERTS.c.fired_at},
        default_ordering="FIRED_AT",
    )
)


async def failed_deliveries_since(db: Database, since: datetime) -> int:
    statement = (
        sa.select(sa.func.count())
        .select_from(DELIVERIES)
        .where(
            DELIVERIES.c.status == DeliveryStatus.FAILED.value,
            DELIVERIES.c.updated_at >= since,
        )
    )
    async with db.read_engine.connect() as connection:
        return int((await connection.execute(statement)).scalar_one())


async def oldest_pending_event(db: Database) -> datetime | None:
    statement = sa.select(sa.func.min(OUTBOX.c.created_at)).where(OUTBOX.c.dispatched_at.is_(None))
    async with db.read_engine.connect() as connection:
        found: datetime | None = (await connection.execute(statement)).scalar_one()
    return found


def firing_statement() -> sa.Select[Any]:
    return sa.select(OpsAlert).where(ALERTS.c.status == AlertStatus.FIRING.value)


FAILED_WINDOW = timedelta(hours=1)
