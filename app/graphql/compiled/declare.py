"""Which fields the compiled read path may answer, declared by each domain next to its types.

A type lists the fields whose value comes from its read model alone (columns, computed
columns, ONE, LIST and COUNT relations without arguments). A root field says which read model
it pages or fetches and how its arguments become the same filters, ordering and page as its
resolver uses; the conversion raises on bad input, and the request then runs the ordinary way
(whose error the client sees). Anything not declared is never compiled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.kit.readmodel import ReadModel


@dataclass(frozen=True, slots=True)
class PageQuery:
    """What a root connection's arguments ask for, as `paginate` takes it."""

    first: int | None
    after: str | None
    filters: Mapping[str, Any] = field(default_factory=dict)
    ordering: str | None = None
    descending: bool = True


@dataclass(frozen=True, slots=True)
class ConnectionRoot:
    model: ReadModel
    query: Callable[[Mapping[str, Any]], PageQuery]


@dataclass(frozen=True, slots=True)
class ObjectRoot:
    """A root field returning one object of `model` by primary key (null when out of scope)."""

    model: ReadModel
    key: Callable[[Mapping[str, Any]], uuid.UUID]


Root = ConnectionRoot | ObjectRoot

_types: dict[str, frozenset[str]] = {}
_roots: dict[str, Root] = {}


def compilable_type(type_name: str, *fields: str) -> None:
    """`fields` of the GraphQL type `type_name` may be compiled (`id` and `__typename` always)."""
    _types[type_name] = frozenset({"id", "__typename", *fields})


def compilable_root(field_name: str, root: Root) -> None:
    _roots[field_name] = root


def type_fields(type_name: str) -> frozenset[str] | None:
    return _types.get(type_name)


def root(field_name: str) -> Root | None:
    return _roots.get(field_name)
