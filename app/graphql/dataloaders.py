"""DataLoaders built from read models: one `IN` query per batch, in the caller's row scope.

Nothing here names a domain. A loader is asked for with what it loads, a `LoadSpec` (which
model, by which column, under which extra condition), which a `Relation` of the read model
gives directly; the request's context creates each loader on first use and keeps it for the
request (`Context.loader`). The four shapes are named `<Result>By<Key>Loader` after what they
return: an object, a list of objects, a count, a first page.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from app.db import Reader
from app.graphql.type_registry import type_of
from app.kit.readmodel import ReadModel, Relation, registry
from app.kit.scope import RowScope

Convert = Callable[[Row[Any]], Any]


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """Rows of the model `model` whose `column` equals the key, and `where` when given."""

    model: str
    column: str = "id"
    where: Callable[[], ColumnElement[bool]] | None = None

    @classmethod
    def of(cls, relation: Relation) -> LoadSpec:
        return cls(relation.target, relation.remote_key, relation.where)

    @property
    def read_model(self) -> ReadModel:
        return registry[self.model]

    def conditions(self) -> list[ColumnElement[bool]]:
        return [] if self.where is None else [self.where()]


def converter_of(model: str) -> Convert:
    """The function turning a row of `model` into its GraphQL object."""
    convert: Convert = type_of(model).from_row
    return convert


class _SpecLoader(DataLoader[Any, Any]):
    def __init__(self, reader: Reader, scope: RowScope, spec: LoadSpec) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope
        self.spec = spec
        self.model = spec.read_model


class ObjectByKeyLoader(_SpecLoader):
    """The object whose column equals the key; None if absent or outside the caller's scope."""

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[Any]:
        statement = self.model.by_keys_statement(
            self.spec.column, keys, self.scope, *self.spec.conditions()
        )
        convert = converter_of(self.spec.model)
        column = self.spec.column
        found = {row._mapping[column]: convert(row) for row in await self.reader.all(statement)}
        return [found.get(key) for key in keys]


class ObjectsByKeyLoader(_SpecLoader):
    """Every object whose column equals the key, in scope, oldest first."""

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[list[Any]]:
        statement = self.model.by_keys_statement(
            self.spec.column, keys, self.scope, *self.spec.conditions()
        ).order_by(self.model.pk)
        convert = converter_of(self.spec.model)
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in await self.reader.all(statement):
            grouped[row._mapping[self.spec.column]].append(convert(row))
        return [grouped.get(key, []) for key in keys]


Filters = tuple[tuple[str, Any], ...]  # a nested list's filter values, hashable
CountKey = uuid.UUID | tuple[uuid.UUID, Filters]
PageKey = tuple[uuid.UUID, int] | tuple[uuid.UUID, int, Filters]


def filters_key(values: Mapping[str, Any] | None) -> Filters:
    """Filter values as a loader key part; unset filters are left out."""
    return tuple(
        sorted((name, value) for name, value in (values or {}).items() if value is not None)
    )


class CountByKeyLoader(_SpecLoader):
    """How many rows (in scope) have each key, optionally filtered.

    Keys are a parent id, or (parent id, filters): one statement per distinct filter set.
    """

    async def batch_load_fn(self, keys: Sequence[CountKey]) -> list[int]:
        by_filters: dict[Filters, list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            parent, filters = key if isinstance(key, tuple) else (key, ())
            by_filters[filters].append(parent)
        counts: dict[tuple[uuid.UUID, Filters], int] = {}
        column = self.spec.column
        for filters, parents in by_filters.items():
            statement = self.model.count_by_keys_statement(
                column, parents, self.scope, dict(filters), *self.spec.conditions()
            )
            for row in await self.reader.all(statement):
                counts[(row._mapping[column], filters)] = int(row._mapping["count"])
        return [counts.get(key if isinstance(key, tuple) else (key, ()), 0) for key in keys]


class FirstPageByKeyLoader(_SpecLoader):
    """The first `first` (+1) rows of each key's list, optionally filtered.

    Keys are (parent id, page size) or (parent id, page size, filters): one statement per
    distinct (page size, filters) pair, whatever the number of parents.
    """

    async def batch_load_fn(self, keys: Sequence[PageKey]) -> list[list[Row[Any]]]:
        normalized = [key if len(key) == 3 else (*key, ()) for key in keys]
        groups: dict[tuple[int, Filters], list[uuid.UUID]] = defaultdict(list)
        for parent, first, filters in normalized:
            groups[(first, filters)].append(parent)
        grouped: dict[tuple[uuid.UUID, int, Filters], list[Row[Any]]] = defaultdict(list)
        column = self.spec.column
        for (first, filters), parents in groups.items():
            statement = self.model.first_pages_statement(
                column, parents, self.scope, first, dict(filters), *self.spec.conditions()
            )
            for row in await self.reader.all(statement):
                grouped[(row._mapping[column], first, filters)].append(row)
        return [grouped.get(key, []) for key in normalized]
