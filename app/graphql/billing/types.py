"""GraphQL types of the billing domain: plans, their versions, subscriptions, limits."""

from __future__ import annotations

import inspect
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from aiodataloader import DataLoader

from app.billing import proration
from app.billing.coupons import repository as coupon_repository
from app.billing.coupons.amounts import DiscountTerms
from app.billing.plans.repository import PLAN_MODEL, PLAN_VERSION_MODEL, mrr_statement
from app.billing.subscriptions import limits as limit_rules
from app.billing.subscriptions.repository import (
    BILLING_OVERRIDE_SKIP_MODEL,
    SUBSCRIPTION_MODEL,
)
from app.db import Reader
from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type
from app.graphql.node import Node
from app.graphql.preload import related
from app.graphql.scalars import JSON
from app.kit import clock
from app.kit.money import Money
from app.kit.scope import RowScope
from app.models import PlanInterval, PlanStatus, SubscriptionStatus

if TYPE_CHECKING:
    from app.graphql.customers.types import Customer

PlanIntervalEnum = strawberry.enum(PlanInterval, name="PlanInterval")
PlanStatusEnum = strawberry.enum(
    PlanStatus, name="PlanStatus", description="ARCHIVED: no new subscriptions; existing continue."
)
SubscriptionStatusEnum = strawberry.enum(SubscriptionStatus, name="SubscriptionStatus")
LimitSourceEnum = strawberry.enum(
    limit_rules.LimitSource, name="LimitSource", description="Where an effective limit comes from."
)


async def resolved(value: Any) -> Any:
    """A relation's value, whether preloaded for the page or still a loader's awaitable."""
    return await value if inspect.isawaitable(value) else value


@strawberry.type(description="What a plan grants; null means unlimited (for the SLA: none).")
class PlanLimits:
    monthly_quota: int | None
    rate_per_second: int | None
    seats: int | None
    sla_percent: Decimal | None = strawberry.field(description="Uptime promised, in percent.")


class PlanMrrByPlanIdLoader(DataLoader[uuid.UUID, Fraction]):
    """Each plan's paying subscriptions' normalised monthly amount, exactly (one statement)."""

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[Fraction]:
        totals: dict[uuid.UUID, Fraction] = defaultdict(Fraction)
        for row in await self.reader.all(mrr_statement(keys)):
            totals[row.plan_id] += proration.monthly_amount(int(row.total), row.interval)
        return [totals[key] for key in keys]


@model_type(PLAN_MODEL, description="A plan of the catalog: its price and the limits it grants.")
class Plan(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    code: str
    name: str
    description: str
    price: Money = strawberry.field(description="The latest version's price per interval.")
    interval: PlanInterval
    trial_days: int = strawberry.field(description="New subscriptions' trial unless given.")
    limits: PlanLimits = strawberry.field(description="The latest version's limits.")
    features: JSON = strawberry.field(description="Feature flags (edited in place).")
    status: PlanStatus
    version: int = strawberry.field(description="The latest version: price or limits changed.")
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Every version, oldest first.")
    def versions(self, info: Info) -> list[PlanVersion]:
        return related(self, info, "versions")  # type: ignore[no-any-return]

    @strawberry.field(description="Live subscriptions (trialing, active, past due) on any version.")
    def subscribers_count(self, info: Info) -> int:
        return related(self, info, "subscribersCount")  # type: ignore[no-any-return]

    @strawberry.field(
        description="Monthly recurring revenue of its paying subscriptions (yearly prices a "
        "twelfth), the exact sum rounded half to even."
    )
    async def mrr(self, info: Info) -> Money:
        total = await info.context.loader(PlanMrrByPlanIdLoader).load(self.pk)
        return Money(proration.round_half_even(total), self.price.currency)


@model_type(PLAN_VERSION_MODEL, description="One version of a plan's price and limits.")
class PlanVersion(ModelObject, Node):
    version: int
    price: Money
    interval: PlanInterval
    limits: PlanLimits
    created_at: datetime


@model_type(SUBSCRIPTION_MODEL, description="A customer's subscription to a version of a plan.")
class Subscription(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    status: SubscriptionStatus
    plan_version: int = strawberry.field(description="The plan version it pays for.")
    price: Money = strawberry.field(description="What it pays per interval.")
    interval: PlanInterval
    trial_start: datetime | None
    trial_end: datetime | None
    current_period_start: datetime
    current_period_end: datetime
    billing_cycle_anchor: datetime
    cancel_at_period_end: bool
    canceled_at: datetime | None
    cancel_reason: str | None
    limits_override: JSON | None = strawberry.field(
        description="Limits that replace the plan's (by name); null: none."
    )
    limits_override_reason: str | None
    billing_override: bool = strawberry.field(
        description="While set, no payment-provider webhook changes this subscription."
    )
    billing_override_reason: str | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    def plan(self, info: Info) -> Plan | None:
        return related(self, info, "plan")  # type: ignore[no-any-return]

    @strawberry.field
    def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("app.graphql.customers.types")] | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field(
        description="Normalised monthly amount (yearly prices a twelfth, rounded half to "
        "even); zero while trialing or canceled."
    )
    def mrr(self) -> Money:
        paying = self.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
        amount = proration.normalised_monthly(self.price.amount, self.interval) if paying else 0
        return Money(amount, self.price.currency)


@model_type(
    BILLING_OVERRIDE_SKIP_MODEL,
    description="A payment-provider event not applied because an admin override held.",
)
class BillingOverrideSkip(ModelObject, Node):
    provider_event_id: str
    event_type: str
    received_at: datetime
    reason: str


@strawberry.type(description="One effective limit and where it comes from.")
class EffectiveLimit:
    value: Decimal | None = strawberry.field(description="Null: unlimited (SLA: none).")
    source: limit_rules.LimitSource


@strawberry.type(description="The plan's limits merged with the subscription's override.")
class EffectiveLimits:
    monthly_quota: EffectiveLimit
    rate_per_second: EffectiveLimit
    seats: EffectiveLimit
    sla_percent: EffectiveLimit
    override_reason: str | None

    @classmethod
    def of(cls, found: limit_rules.EffectiveLimits) -> EffectiveLimits:
        def one(limit: limit_rules.EffectiveLimit) -> EffectiveLimit:
            value = None if limit.value is None else Decimal(limit.value)
            return EffectiveLimit(value=value, source=limit.source)

        return cls(
            monthly_quota=one(found.monthly_quota),
            rate_per_second=one(found.rate_per_second),
            seats=one(found.seats),
            sla_percent=one(found.sla_percent),
            override_reason=found.override_reason,
        )


class EffectiveLimitsByCustomerIdLoader(DataLoader[uuid.UUID, limit_rules.EffectiveLimits]):
    """Customers' effective limits, in the caller's scope, one statement per batch."""

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[limit_rules.EffectiveLimits]:
        rows = await self.reader.all(limit_rules.statement(keys, self.scope))
        found = limit_rules.from_rows(keys, rows)
        return [found[key] for key in keys]


class DiscountTermsByCustomerIdLoader(DataLoader[uuid.UUID, list[DiscountTerms]]):
    """Customers' active discount terms, oldest first, in the caller's scope, one statement
    per batch (a page's MRR after discounts)."""

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[DiscountTerms]]:
        found: dict[uuid.UUID, list[DiscountTerms]] = defaultdict(list)
        statement = coupon_repository.active_terms_statement(keys, clock.now(), self.scope)
        for row in await self.reader.all(statement):
            plans = row.applies_to_plans
            found[row.customer_id].append(
                DiscountTerms(
                    row.percent_off_bp,
                    row.amount_off,
                    row.currency,
                    tuple(plans) if plans is not None else None,
                )
            )
        return [found.get(key, []) for key in keys]


@strawberry.type(description="A line prorating a plan change over part of a period.")
class ProrationLine:
    description: str
    period_start: datetime
    period_end: datetime
    amount_minor: strawberry.Private[int]
    currency: strawberry.Private[str]

    @strawberry.field(description="Negative for a credit of unused time.")
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @classmethod
    def of(cls, line: proration.ProrationLine, currency: str) -> ProrationLine:
        return cls(
            description=line.description,
            period_start=line.period_start,
            period_end=line.period_end,
            amount_minor=line.amount,
            currency=currency,
        )


@strawberry.type(description="A row of the pricing page's tiers table (a yearly plan).")
class Tier:
    code: str
    name: str
    price: Money = strawberry.field(description="Per year.")
    price_is_minimum: bool = strawberry.field(description="`from` this price (Custom).")
    validations_per_year: int | None
    validations_is_minimum: bool = strawberry.field(description="`+`: at least this many.")
    rate_per_second: int | None
    sla_percent: Decimal | None
    plan: Plan
