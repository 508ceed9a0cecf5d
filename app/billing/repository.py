"""SQL for plans."""

from __future__ import annotations

from app.kit.readmodel import Composite, ReadModel, registry, row_filter, unscoped
from app.models.billing import Plan
from app.models.tables import PLANS

PLAN_MODEL = registry.register(
    ReadModel(
        name="Plan",
        table=PLANS,
        prefix=Plan.PREFIX,
        fields={
            "code": "code",
            "name": "name",
            "description": "description",
            "price": Composite({"amount": "price_amount", "currency": "currency"}),
            "interval": "interval",
            "monthlyQuota": "monthly_quota",
            "ratePerSecond": "rate_per_second",
            "seats": "seats",
            "sla": "sla",
            "version": "version",
            "archivedAt": "archived_at",
            "createdAt": "created_at",
        },
        scope=unscoped,
        filters={
            "archived": row_filter(
                lambda archived: (
                    PLANS.c.archived_at.isnot(None) if archived else PLANS.c.archived_at.is_(None)
                )
            ),
        },
        orderings={"CREATED_AT": PLANS.c.created_at, "CODE": PLANS.c.code},
    )
)
