"""Plan queries (any signed-in caller) and mutations (master only)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.billing.plans import service
from app.billing.plans.repository import PLAN_MODEL, tiers_statement
from app.billing.subscriptions import service as subscriptions
from app.graphql.billing.inputs import PlanLimitsInput
from app.graphql.billing.types import Plan, ProrationLine, Subscription, Tier
from app.graphql.context import Info
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated, master_writer
from app.graphql.root import query
from app.graphql.scalars import JSON
from app.kit.money import Money
from app.kit.pagination import check_search
from app.kit.uow import UnitOfWork
from app.models import PlanInterval, PlanStatus

# ---------------------------------------------------------------- queries


@strawberry.input
class PlanFilter:
    status: PlanStatus | None = strawberry.field(
        default=None, description="Archived plans are listed only when asked for."
    )
    interval: PlanInterval | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the code or name (≤ 100 characters)."
    )


@query(authenticated, "The plan catalog, newest first (active plans unless the filter asks).")
async def plans(
    info: Info, first: int | None = None, after: str | None = None, filter: PlanFilter | None = None
) -> Connection[Plan]:
    given = filter or PlanFilter()
    return await paginate(
        info,
        PLAN_MODEL,
        Plan.from_row,
        first=first,
        after=after,
        filters={
            "status": given.status or PlanStatus.ACTIVE,
            "interval": given.interval,
            "search": check_search(given.search),
        },
    )


@query(authenticated, "One plan by code (archived ones too); null when absent.")
async def plan(info: Info, code: str) -> Plan | None:
    statement = PLAN_MODEL.by_keys_statement("code", [code.strip().lower()], info.context.row_scope)
    rows = await info.context.reader.all(statement)
    return Plan.from_row(rows[0]) if rows else None


def _tier(plan: Plan) -> Tier:
    features: dict[str, Any] = dict(plan.features) if isinstance(plan.features, dict) else {}
    per_year = features.get("validationsPerYear")
    if per_year is None and plan.limits.monthly_quota is not None:
        per_year = plan.limits.monthly_quota * 12
    return Tier(
        code=plan.code,
        name=plan.name,
        price=plan.price,
        price_is_minimum=bool(features.get("priceIsMinimum")),
        validations_per_year=per_year,
        validations_is_minimum=bool(features.get("validationsIsMinimum")),
        rate_per_second=plan.limits.rate_per_second,
        sla_percent=plan.limits.sla_percent,
        plan=plan,
    )


@query(
    authenticated,
    "The tiers table of the pricing page: active plans whose features name a `tier`, "
    "in the tier's order.",
)
async def tiers(info: Info) -> list[Tier]:
    rows = await info.context.reader.all(tiers_statement())
    found = [Plan.from_row(row) for row in rows]
    tiered = [p for p in found if isinstance(p.features, dict) and "tier" in p.features]
    tiered.sort(key=lambda p: (int(p.features["tier"]), p.code))  # type: ignore[index]
    return [_tier(p) for p in tiered]


# ---------------------------------------------------------------- mutations


@strawberry.input
class PlanCreateInput:
    code: str = strawberry.field(description="Unique; lowercase letters, digits, inner hyphens.")
    name: str
    interval: PlanInterval
    amount: int = strawberry.field(description="Price per interval in minor units.")
    currency: str = strawberry.field(description="ISO 4217, e.g. USD.")
    description: str | None = None
    trial_days: int | None = strawberry.field(
        default=None, description="Default: the runtime setting defaultTrialDays."
    )
    limits: PlanLimitsInput | None = None
    features: JSON | None = None


@strawberry.type
class PlanCreatePayload(Payload):
    plan: Plan | None = None


@mutation(master_writer, "Create a plan (its version 1).")
async def plan_create(info: Info, input: PlanCreateInput, uow: UnitOfWork) -> PlanCreatePayload:
    created = await service.create_plan(
        uow,
        code=input.code,
        name=input.name,
        interval=input.interval,
        amount=input.amount,
        currency=input.currency,
        description=input.description or "",
        trial_days=input.trial_days,
        limits=input.limits.limits() if input.limits is not None else None,
        features=input.features,
    )
    return PlanCreatePayload(plan=await read_back(uow.session, Plan, created.id))


@strawberry.input
class PlanUpdateInput:
    code: str
    name: str | None = None
    description: str | None = None
    features: JSON | None = None
    trial_days: int | None = None
    amount: int | None = strawberry.field(default=None, description="A new price: a new version.")
    limits: PlanLimitsInput | None = strawberry.field(
        default=None, description="New limits (those given): a new version."
    )


@strawberry.type
class PlanUpdatePayload(Payload):
    plan: Plan | None = None


@mutation(
    master_writer,
    "Edit a plan: name, description, features and trial days in place; a new price or new "
    "limits make a new version (existing subscriptions stay on theirs).",
)
async def plan_update(info: Info, input: PlanUpdateInput, uow: UnitOfWork) -> PlanUpdatePayload:
    updated = await service.update_plan(
        uow,
        code=input.code,
        name=input.name,
        description=input.description,
        features=input.features,
        trial_days=input.trial_days,
        amount=input.amount,
        limits=input.limits.limits() if input.limits is not None else None,
        limits_given=input.limits.given() if input.limits is not None else None,
    )
    return PlanUpdatePayload(plan=await read_back(uow.session, Plan, updated.id))


@strawberry.input
class PlanCloneInput:
    code: str
    new_code: str
    name: str | None = None


@strawberry.type
class PlanClonePayload(Payload):
    plan: Plan | None = None


@mutation(master_writer, "Copy a plan's price, limits and features under a new code.")
async def plan_clone(info: Info, input: PlanCloneInput, uow: UnitOfWork) -> PlanClonePayload:
    cloned = await service.clone_plan(
        uow, code=input.code, new_code=input.new_code, name=input.name
    )
    return PlanClonePayload(plan=await read_back(uow.session, Plan, cloned.id))


@strawberry.input
class PlanArchiveInput:
    code: str


@strawberry.type
class PlanArchivePayload(Payload):
    plan: Plan | None = None


@mutation(master_writer, "Archive a plan: no new subscriptions; existing ones continue.")
async def plan_archive(info: Info, input: PlanArchiveInput, uow: UnitOfWork) -> PlanArchivePayload:
    archived = await service.set_archived(uow, code=input.code, archived=True)
    return PlanArchivePayload(plan=await read_back(uow.session, Plan, archived.id))


@strawberry.input
class PlanUnarchiveInput:
    code: str


@strawberry.type
class PlanUnarchivePayload(Payload):
    plan: Plan | None = None


@mutation(master_writer, "Offer an archived plan again.")
async def plan_unarchive(
    info: Info, input: PlanUnarchiveInput, uow: UnitOfWork
) -> PlanUnarchivePayload:
    plan = await service.set_archived(uow, code=input.code, archived=False)
    return PlanUnarchivePayload(plan=await read_back(uow.session, Plan, plan.id))


@strawberry.type(description="A subscription moved (or, on a dry run, to move) to a version.")
class SubscriptionMove:
    subscription: Subscription
    from_version: int
    to_version: int
    proration_lines: list[ProrationLine]
    price_amount: strawberry.Private[int]
    currency: strawberry.Private[str]

    @strawberry.field(description="What it pays per interval from now on.")
    def new_price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @strawberry.field(description="The sum of its proration lines.")
    def proration_total(self) -> Money:
        return Money(sum(line.amount_minor for line in self.proration_lines), self.currency)


@strawberry.input
class PlanMigrateSubscriptionsInput:
    plan_code: str
    from_version: int | None = strawberry.field(
        default=None, description="Only subscriptions on this version (default: every older one)."
    )
    proration_behavior: subscriptions.ProrationBehavior = strawberry.field(
        default=subscriptions.ProrationBehavior.NONE
    )


@strawberry.type
class PlanMigrateSubscriptionsPayload(Payload):
    plan: Plan | None = None
    moves: list[SubscriptionMove] = strawberry.field(default_factory=list)


@mutation(
    master_writer,
    "Move a plan's subscribers on older versions to its latest; with dryRun, who would move "
    "and what each would pay.",
)
async def plan_migrate_subscriptions(
    info: Info, input: PlanMigrateSubscriptionsInput, uow: UnitOfWork
) -> PlanMigrateSubscriptionsPayload:
    plan, moves = await subscriptions.migrate_subscriptions(
        uow,
        plan_code=input.plan_code,
        from_version=input.from_version,
        behavior=input.proration_behavior,
    )
    return PlanMigrateSubscriptionsPayload(
        plan=await read_back(uow.session, Plan, plan.id),
        moves=[
            SubscriptionMove(
                subscription=await read_back(uow.session, Subscription, move.subscription.id),
                from_version=move.from_version,
                to_version=move.to_version,
                proration_lines=[
                    ProrationLine.of(line, move.subscription.currency) for line in move.lines
                ],
                price_amount=move.subscription.price_amount,
                currency=move.subscription.currency,
            )
            for move in moves
        ],
    )
