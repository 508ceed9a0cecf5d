"""GraphQL types of the billing domain."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from app.billing.repository import PLAN_MODEL
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.kit.money import Money
from app.models import PlanInterval

PlanIntervalEnum = strawberry.enum(PlanInterval, name="PlanInterval")


@model_type(PLAN_MODEL, description="A plan of the catalog: its price and the limits it grants.")
class Plan(ModelObject, Node):
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
