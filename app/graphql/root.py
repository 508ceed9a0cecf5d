"""The root fields of the schema, declared beside their resolvers in each domain's package.

`@query(...)` on a resolver function makes it a field of `Query`; `@mutation(...)`
(`app/graphql/mutation.py`) does the same for `Mutation`. Each declaration registers itself as
its module is imported, and `app/graphql/schema.py` imports every module of `app.graphql`:
a new domain adds its root fields without editing a shared list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

_queries: dict[str, StrawberryField] = {}
_mutations: dict[str, StrawberryField] = {}
_subscriptions: dict[str, StrawberryField] = {}

Extensions = Callable[[], list[FieldExtension]]


def _add(registry: dict[str, StrawberryField], field: StrawberryField) -> StrawberryField:
    name = field.graphql_name or to_camel_case(field.python_name)
    if name in registry:
        raise ValueError(f"the root field {name} is declared twice")
    registry[name] = field
    return field


def query(permission: Extensions, description: str) -> Callable[[Callable[..., Any]], Any]:
    """Declare a resolver function (no `self`) as a field of `Query`."""

    def declare(resolver: Callable[..., Any]) -> StrawberryField:
        field = strawberry.field(
            resolver=resolver, extensions=permission(), description=description
        )
        return _add(_queries, field)

    return declare


def subscription(description: str) -> Callable[[Callable[..., Any]], Any]:
    """Declare an async generator (no `self`) as a field of `Subscription`; it checks its
    caller itself (permission extensions do not wrap generators)."""

    def declare(resolver: Callable[..., Any]) -> StrawberryField:
        field = strawberry.subscription(resolver=resolver, description=description)
        return _add(_subscriptions, field)

    return declare


def subscription_fields() -> list[StrawberryField]:
    return list(_subscriptions.values())


def add_mutation(field: StrawberryField) -> StrawberryField:
    return _add(_mutations, field)


def query_fields() -> list[StrawberryField]:
    return list(_queries.values())


def mutation_fields() -> list[StrawberryField]:
    return list(_mutations.values())
