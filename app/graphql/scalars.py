"""Custom scalars: `Money`, `JSON`, and `DateTime` (Strawberry's, with Admiral's UTC rule).

Every refusal is a coercion error (a GraphQLError): GraphQL reports it as a validation error
of the variable or literal, before anything runs, so nothing can be written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType, NoReturn

import orjson
import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from app.kit import clock
from app.kit.jsonutil import nesting_exceeds
from app.kit.money import Money

JSON = NewType("JSON", object)

# Limits of every JSON input, whichever argument it is: deep enough for any real document,
# shallow enough that hashing, storing and diffing it never meets a recursion limit.
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 64 * 1024
_SHOWN = 40  # characters of a refused value repeated in the message


def _refuse(message: str) -> NoReturn:
    raise StrawberryInputCoercionError(message)


def _serialize_money(value: Money) -> dict[str, Any]:
    return {"amount": value.amount, "currency": value.currency}


def _parse_money(value: Any) -> Money:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        _refuse('Money is written {"amount": <minor units>, "currency": "USD"}.')
    amount, currency = value["amount"], value["currency"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        _refuse("Money amount is an integer of minor units; currency a 3-letter code.")
    return Money(amount, currency)


def _parse_json(value: object) -> object:
    if nesting_exceeds(value, MAX_JSON_DEPTH):
        _refuse(f"JSON may nest lists and objects at most {MAX_JSON_DEPTH} levels deep.")
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError:
        _refuse("The value is not representable as JSON (integers are limited to 64 bits).")
    if size > MAX_JSON_BYTES:
        _refuse(f"JSON is limited to {MAX_JSON_BYTES // 1024} KB.")
    return value


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        _refuse('A DateTime is a string such as "2025-01-31T12:00:00Z".')
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _refuse(f'Not an ISO 8601 date and time: "{value[:_SHOWN]}".')
    try:
        return clock.as_utc(parsed)
    except ValueError as error:
        _refuse(f'"{value[:_SHOWN]}": {error}')


def _serialize_datetime(value: datetime) -> str:
    return value.isoformat()


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        description='Minor units and currency: {"amount": 1999, "currency": "USD"}.',
        serialize=_serialize_money,
        parse_value=_parse_money,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description=(
            f"Any JSON value, nested at most {MAX_JSON_DEPTH} levels, "
            f"at most {MAX_JSON_BYTES // 1024} KB."
        ),
        serialize=lambda value: value,
        # Literals reach this too: GraphQL turns them into plain values first.
        parse_value=_parse_json,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description=(
            "ISO 8601 date and time with an offset (`2025-01-31T12:00:00Z`); "
            "converted to UTC; answers are in UTC."
        ),
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
}
