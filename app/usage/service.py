"""Declaring usage metrics (what `POST /v1/usage` accepts)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.usage import USAGE_METRICS, Aggregation, UsageMetric

_CODE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
MAX_NAME = 200
MAX_UNIT = 32


def validated(**checks: Callable[[], Any]) -> dict[str, Any]:
    """Every check run, every failure reported at once."""
    values: dict[str, Any] = {}
    problems: list[UserInputError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


def checked_code(value: str) -> str:
    code = value.strip().lower()
    if not _CODE.match(code):
        raise UserInputError(
            "A metric code is 1 to 64 of a-z, 0-9, `_`, `.`, `-`, starting with a letter.",
            ErrorCode.INVALID,
            "code",
        )
    return code


def checked_cost(value: int) -> int:
    if value < 0:
        raise UserInputError(
            "The unit cost cannot be negative.", ErrorCode.INVALID, "unitCostMicros"
        )
    return value


def checked_currency(value: str) -> str:
    currency = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise UserInputError("A currency is 3 letters (ISO 4217).", ErrorCode.INVALID, "currency")
    return currency


async def create_metric(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    unit: str,
    aggregation: Aggregation,
    unit_cost_micros: int,
    currency: str,
) -> UsageMetric:
    values = validated(
        code=lambda: checked_code(code),
        name=lambda: checked_text(name, "name", MAX_NAME),
        unit=lambda: checked_text(unit, "unit", MAX_UNIT),
        unitCostMicros=lambda: checked_cost(unit_cost_micros),
        currency=lambda: checked_currency(currency),
    )
    taken = await uow.session.scalar(
        sa.select(USAGE_METRICS.c.id).where(USAGE_METRICS.c.code == values["code"])
    )
    if taken is not None:
        raise UserInputError(
            f"A metric `{values['code']}` exists already.", ErrorCode.METRIC_CODE_TAKEN, "code"
        )
    metric = UsageMetric(
        code=values["code"],
        name=values["name"],
        unit=values["unit"],
        aggregation=aggregation,
        unit_cost_micros=values["unitCostMicros"],
        currency=values["currency"],
        created_at=clock.now(),
    )
    uow.session.add(metric)
    await uow.session.flush()
    uow.record(
        "usage.metric_create",
        "UsageMetric",
        encode(UsageMetric.PREFIX, metric.id),
        after={
            "code": metric.code,
            "name": metric.name,
            "unit": metric.unit,
            "aggregation": metric.aggregation.value,
            "unitCostMicros": metric.unit_cost_micros,
            "currency": metric.currency,
        },
    )
    return metric
