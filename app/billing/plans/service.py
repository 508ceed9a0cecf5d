"""Plan rules: create, update (price or limits make a new version), clone, archive, unarchive."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from app.billing.plans import repository
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_slug, checked_text
from app.models.billing import Plan, PlanInterval, PlanStatus, PlanVersion
from app.runtime_settings import values as runtime_values

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_TRIAL_DAYS = 730
MAX_AMOUNT = 10**12  # minor units: ten billion in a two-decimal currency
MAX_FEATURES = 100
MAX_LIMIT = 2**31 - 1  # GraphQL `Int` is 32 bits


@dataclass(frozen=True, slots=True)
class Limits:
    """A plan's limits; None means unlimited (or, for the SLA, none offered)."""

    monthly_quota: int | None = None
    rate_per_second: int | None = None
    seats: int | None = None
    sla_percent: Decimal | None = None

    @classmethod
    def of(cls, row: Plan | PlanVersion) -> Limits:
        return cls(row.monthly_quota, row.rate_per_second, row.seats, row.sla_percent)

    def apply(self, row: Plan | PlanVersion) -> None:
        for field in fields(self):
            setattr(row, field.name, getattr(self, field.name))

    def view(self) -> dict[str, Any]:
        return {
            "monthlyQuota": self.monthly_quota,
            "ratePerSecond": self.rate_per_second,
            "seats": self.seats,
            "slaPercent": None if self.sla_percent is None else str(self.sla_percent),
        }


def checked_limits(limits: Limits, field: str = "limits") -> Limits:
    problems = [
        UserInputError("A limit is a whole number of at least 0.", ErrorCode.INVALID, [field, n])
        for n, value in (
            ("monthlyQuota", limits.monthly_quota),
            ("ratePerSecond", limits.rate_per_second),
            ("seats", limits.seats),
        )
        if value is not None and not 0 <= value <= MAX_LIMIT
    ]
    sla = limits.sla_percent
    if sla is not None:
        try:
            sla = Decimal(sla).quantize(Decimal("0.001"))
        except (InvalidOperation, ValueError):
            sla = Decimal(-1)
        if not Decimal(0) <= sla <= Decimal(100):
            problems.append(
                UserInputError(
                    "The SLA is a percentage from 0 to 100 (three decimals at most).",
                    ErrorCode.INVALID,
                    [field, "slaPercent"],
                )
            )
    if problems:
        raise UserInputErrors(problems)
    return Limits(limits.monthly_quota, limits.rate_per_second, limits.seats, sla)


def checked_amount(amount: int, field: str = "amount") -> int:
    if not 0 <= amount <= MAX_AMOUNT:
        raise UserInputError(
            f"The amount is in minor units, from 0 to {MAX_AMOUNT}.", ErrorCode.INVALID, field
        )
    return amount


def checked_currency(currency: str) -> str:
    value = currency.strip().upper()
    if len(value) != 3 or not value.isalpha() or not value.isascii():
        raise UserInputError("A currency is a 3-letter ISO code.", ErrorCode.INVALID, "currency")
    return value


def checked_trial_days(days: int, field: str = "trialDays") -> int:
    if not 0 <= days <= MAX_TRIAL_DAYS:
        raise UserInputError(
            f"Trial days run from 0 to {MAX_TRIAL_DAYS}.", ErrorCode.INVALID, field
        )
    return days


def checked_features(features: Any) -> dict[str, Any]:
    if not isinstance(features, dict) or len(features) > MAX_FEATURES:
        raise UserInputError(
            f"Features are a JSON object of at most {MAX_FEATURES} flags.",
            ErrorCode.INVALID,
            "features",
        )
    return dict(features)


def plan_view(plan: Plan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "name": plan.name,
        "description": plan.description,
        "amount": plan.price_amount,
        "currency": plan.currency,
        "interval": plan.interval,
        "trialDays": plan.trial_days,
        "limits": Limits.of(plan).view(),
        "features": plan.features,
        "status": plan.status,
        "version": plan.version,
    }


def _record(uow: UnitOfWork, action: str, plan: Plan, before: dict[str, Any]) -> None:
    uow.record(action, "Plan", encode(Plan.PREFIX, plan.id), before=before, after=plan_view(plan))


def _collect(checks: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    problems: list[UserInputError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputErrors as many:
            problems.extend(many.errors)
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


async def plan_or_not_found(uow: UnitOfWork, code: str, field: str = "code") -> Plan:
    plan = await repository.plan_by_code(uow.session, code.strip().lower(), lock=True)
    if plan is None:
        raise UserInputError("No plan has this code.", ErrorCode.NOT_FOUND, field)
    return plan


async def _require_free_code(uow: UnitOfWork, code: str, field: str = "code") -> None:
    if await repository.code_taken(uow.session, code):
        raise UserInputError("Another plan has this code.", ErrorCode.CONFLICT, field)


def _new_version(plan: Plan) -> PlanVersion:
    version = PlanVersion(
        plan_id=plan.id,
        version=plan.version,
        price_amount=plan.price_amount,
        currency=plan.currency,
        interval=plan.interval,
        created_at=clock.now(),
    )
    Limits.of(plan).apply(version)
    return version


async def create_plan(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    interval: PlanInterval,
    amount: int,
    currency: str,
    description: str = "",
    trial_days: int | None = None,
    limits: Limits | None = None,
    features: Any = None,
) -> Plan:
    """A new plan; without `trial_days`, the runtime setting `defaultTrialDays`."""
    if trial_days is None:
        trial_days = await runtime_values.default_trial_days(uow.session)
    values = _collect(
        {
            "code": lambda: checked_slug(code, "code"),
            "name": lambda: checked_text(name, "name", MAX_NAME),
            "description": lambda: checked_text(
                description, "description", MAX_DESCRIPTION, required=False
            ),
            "amount": lambda: checked_amount(amount),
            "currency": lambda: checked_currency(currency),
            "trial_days": lambda: checked_trial_days(trial_days),
            "limits": lambda: checked_limits(limits or Limits()),
            "features": lambda: checked_features(features if features is not None else {}),
        }
    )
    await _require_free_code(uow, values["code"])
    now = clock.now()
    plan = Plan(
        code=values["code"],
        name=values["name"],
        description=values["description"],
        price_amount=values["amount"],
        currency=values["currency"],
        interval=interval,
        trial_days=values["trial_days"],
        features=values["features"],
        version=1,
        created_at=now,
        updated_at=now,
    )
    values["limits"].apply(plan)
    uow.session.add(plan)
    await uow.session.flush()
    uow.session.add(_new_version(plan))
    await uow.session.flush()
    _record(uow, "plan.create", plan, {})
    return plan


async def update_plan(
    uow: UnitOfWork,
    *,
    code: str,
    name: str | None = None,
    description: str | None = None,
    features: Any = None,
    trial_days: int | None = None,
    amount: int | None = None,
    limits: Limits | None = None,
    limits_given: frozenset[str] | None = None,
) -> Plan:
    """Name, description, features and trial days edit in place; a new price or new limits
    make a new version (existing subscriptions stay on theirs until migrated)."""
    checks: dict[str, Any] = {}
    if name is not None:
        checks["name"] = lambda: checked_text(name, "name", MAX_NAME)
    if description is not None:
        checks["description"] = lambda: checked_text(
            description, "description", MAX_DESCRIPTION, required=False
        )
    if features is not None:
        checks["features"] = lambda: checked_features(features)
    if trial_days is not None:
        checks["trial_days"] = lambda: checked_trial_days(trial_days)
    if amount is not None:
        checks["amount"] = lambda: checked_amount(amount)
    if limits is not None:
        checks["limits"] = lambda: checked_limits(limits)
    values = _collect(checks)
    plan = await plan_or_not_found(uow, code)
    before = plan_view(plan)
    plan.name = values.get("name", plan.name)
    plan.description = values.get("description", plan.description)
    plan.features = values.get("features", plan.features)
    plan.trial_days = values.get("trial_days", plan.trial_days)
    new_price = values.get("amount", plan.price_amount)
    new_limits = Limits.of(plan)
    if "limits" in values:
        given = limits_given if limits_given is not None else {f.name for f in fields(Limits)}
        chosen = values["limits"]
        new_limits = replace(new_limits, **{name: getattr(chosen, name) for name in given})
    versioned = new_price != plan.price_amount or new_limits != Limits.of(plan)
    if versioned:
        plan.price_amount = new_price
        new_limits.apply(plan)
        plan.version += 1
    if plan_view(plan) == before:
        return plan
    plan.updated_at = clock.now()
    await uow.session.flush()
    if versioned:
        uow.session.add(_new_version(plan))
        await uow.session.flush()
    _record(uow, "plan.update", plan, before)
    return plan


async def clone_plan(uow: UnitOfWork, *, code: str, new_code: str, name: str | None) -> Plan:
    values = _collect(
        {
            "new_code": lambda: checked_slug(new_code, "newCode"),
            **({"name": lambda: checked_text(name, "name", MAX_NAME)} if name is not None else {}),
        }
    )
    source = await plan_or_not_found(uow, code)
    await _require_free_code(uow, values["new_code"], "newCode")
    return await create_plan(
        uow,
        code=values["new_code"],
        name=values.get("name", source.name),
        interval=source.interval,
        amount=source.price_amount,
        currency=source.currency,
        description=source.description,
        trial_days=source.trial_days,
        limits=Limits.of(source),
        features=source.features,
    )


async def set_archived(uow: UnitOfWork, *, code: str, archived: bool) -> Plan:
    plan = await plan_or_not_found(uow, code)
    wanted = PlanStatus.ARCHIVED if archived else PlanStatus.ACTIVE
    if plan.status is wanted:
        state = "archived" if archived else "not archived"
        raise UserInputError(f"This plan is already {state}.", ErrorCode.INVALID_STATE, "code")
    before = plan_view(plan)
    now = clock.now()
    plan.status = wanted
    plan.archived_at = now if archived else None
    plan.updated_at = now
    await uow.session.flush()
    _record(uow, "plan.archive" if archived else "plan.unarchive", plan, before)
    return plan
