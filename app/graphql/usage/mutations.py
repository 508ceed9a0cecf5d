"""Usage mutations: declaring a metric (masters)."""

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.graphql.usage.types import UsageMetric
from app.kit.uow import UnitOfWork
from app.models.usage import Aggregation
from app.usage import service


@strawberry.input
class UsageMetricCreateInput:
    code: str = strawberry.field(description="What events name (`api_calls`); unique.")
    name: str
    unit: str = strawberry.field(description="`requests`, `GB`, `seats`…")
    aggregation: Aggregation
    unit_cost_micros: int = strawberry.field(
        default=0,
        description="Cost of one unit in millionths of the currency's minor unit (cost model).",
    )
    currency: str = "USD"


@strawberry.type
class UsageMetricCreatePayload(Payload):
    usage_metric: UsageMetric | None = None


@mutation(master_writer, "Declare a usage metric: its code, unit, aggregation and unit cost.")
async def usage_metric_create(
    info: Info, input: UsageMetricCreateInput, uow: UnitOfWork
) -> UsageMetricCreatePayload:
    metric = await service.create_metric(
        uow,
        code=input.code,
        name=input.name,
        unit=input.unit,
        aggregation=input.aggregation,
        unit_cost_micros=input.unit_cost_micros,
        currency=input.currency,
    )
    return UsageMetricCreatePayload(usage_metric=UsageMetric.from_row(metric))
