"""Custom scalars: `Money` and `JSON` (`DateTime` and `Date` are Strawberry's own)."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.kit.money import Money

JSON = NewType("JSON", object)


def _serialize_money(value: Money) -> dict[str, Any]:
    return {"amount": value.amount, "currency": value.currency}


def _parse_money(value: Any) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValueError('Money is written {"amount": <minor units>, "currency": "USD"}.')
    amount, currency = value["amount"], value["currency"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        raise ValueError("Money amount is an integer of minor units; currency a 3-letter code.")
    return Money(amount, currency)


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        description='Minor units and currency: {"amount": 1999, "currency": "USD"}.',
        serialize=_serialize_money,
        parse_value=_parse_money,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value.",
        serialize=lambda value: value,
        parse_value=lambda value: value,
    ),
}
