"""Idempotent replays: a mutation's payload stored as JSON, and brought back as objects.

Objects are stored by id (`{"$node": "usr_…"}`) and read again when replayed, so a replay shows
them as they are now, in the caller's scope; small value objects and enums are stored by their
GraphQL type name, which the schema resolves back to the class. The names are the API's own
and outlive any Python module layout: a class moved to another module replays as before.
Records written before names were stored (`"module:ClassName"`) resolve by the class name.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import Any

from strawberry.types.base import StrawberryObjectDefinition, get_object_definition
from strawberry.types.enum import StrawberryEnumDefinition

from app.graphql.context import Info
from app.graphql.node import Node, resolve_node
from app.kit.money import Money


class UnknownStoredType(LookupError):
    """A stored result names a type the schema no longer has."""


def record_of(payload: Any, secret_fields: frozenset[str]) -> dict[str, Any]:
    """The payload's fields as JSON, `user_errors` and secrets (never stored) left out."""
    record: dict[str, Any] = {}
    for field in dataclasses.fields(payload):
        if field.name == "user_errors":
            continue
        value = None if field.name in secret_fields else getattr(payload, field.name)
        record[field.name] = _encode(value)
    return record


def _encode(value: Any) -> Any:
    if isinstance(value, Node):
        return {"$node": str(value.id)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Money):
        return {"$money": value.amount, "currency": value.currency}
    if isinstance(value, enum.Enum):
        definition: StrawberryEnumDefinition = value.__strawberry_definition__  # type: ignore[attr-defined]
        return {"$enum": definition.name, "value": value.value}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "$object": get_object_definition(type(value), strict=True).name,
            # Fields computed by resolvers (`init=False`) are recomputed from the others.
            "fields": {
                f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
            },
        }
    raise TypeError(f"payload field of type {type(value).__name__} cannot be stored")


async def decode(info: Info, value: Any) -> Any:
    if isinstance(value, list):
        return [await decode(info, item) for item in value]
    if isinstance(value, dict):
        if "$node" in value:
            return await resolve_node(info, value["$node"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$money" in value:
            return Money(value["$money"], value["currency"])
        if "$enum" in value:
            return _class_named(info, value["$enum"])(value["value"])
        if "$object" in value:
            fields = {name: await decode(info, item) for name, item in value["fields"].items()}
            return _class_named(info, value["$object"])(**fields)
    return value


def _class_named(info: Info, stored: str) -> Any:
    name = stored.rpartition(":")[2].rpartition(".")[2]
    definition = info.schema.get_type_by_name(name)
    if isinstance(definition, StrawberryObjectDefinition):
        return definition.origin
    if isinstance(definition, StrawberryEnumDefinition):
        return definition.wrapped_cls
    raise UnknownStoredType(f"the stored result names {stored!r}, which the schema lacks")
