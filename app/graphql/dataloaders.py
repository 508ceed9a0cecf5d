"""DataLoader bases built from read-model relations: one `IN` query per batch, in scope.

Concrete loaders are named `<Result>By<Key>Loader` and live in each domain's package.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy.engine import Row

from app.db import Reader
from app.kit.readmodel import ReadModel
from app.kit.scope import RowScope

ResultT = TypeVar("ResultT")


class _ScopedLoader(DataLoader[uuid.UUID, ResultT]):
    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope


class OneByKeyLoader(_ScopedLoader[ResultT | None], Generic[ResultT]):
    """The row of `model` whose `column` equals the key; None if absent or out of scope."""

    model: ClassVar[ReadModel]
    column: ClassVar[str] = "id"

    def convert(self, row: Row[Any]) -> ResultT:
        raise NotImplementedError

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[ResultT | None]:
        rows = await self.reader.all(self.model.by_keys_statement(self.column, keys, self.scope))
        found = {row._mapping[self.column]: self.convert(row) for row in rows}
        return [found.get(key) for key in keys]


class ManyByKeyLoader(_ScopedLoader[list[ResultT]], Generic[ResultT]):
    """Every row of `model` whose `column` equals the key, in scope, oldest first."""

    model: ClassVar[ReadModel]
    column: ClassVar[str]

    def convert(self, row: Row[Any]) -> ResultT:
        raise NotImplementedError

    def extra_conditions(self) -> list[Any]:
        """Conditions a loader adds to its model's scope (e.g. only live sessions)."""
        return []

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[ResultT]]:
        statement = (
            self.model.by_keys_statement(self.column, keys, self.scope)
            .where(*self.extra_conditions())
            .order_by(self.model.pk)
        )
        grouped: dict[uuid.UUID, list[ResultT]] = defaultdict(list)
        for row in await self.reader.all(statement):
            grouped[row._mapping[self.column]].append(self.convert(row))
        return [grouped.get(key, []) for key in keys]


Filters = tuple[tuple[str, Any], ...]  # a nested list's filter values, hashable
CountKey = uuid.UUID | tuple[uuid.UUID, Filters]
PageKey = tuple[uuid.UUID, int] | tuple[uuid.UUID, int, Filters]


def filters_key(values: Mapping[str, Any] | None) -> Filters:
    """Filter values as a loader key part; unset filters are left out."""
    return tuple(
        sorted((name, value) for name, value in (values or {}).items() if value is not None)
    )


class CountByKeyLoader(DataLoader[CountKey, int]):
    """How many rows of `model` (in scope) have each key in `column`, optionally filtered.

    Keys are a parent id, or (parent id, filters): one statement per distinct filter set.
    """

    model: ClassVar[ReadModel]
    column: ClassVar[str]

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[CountKey]) -> list[int]:
        by_filters: dict[Filters, list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            parent, filters = key if isinstance(key, tuple) else (key, ())
            by_filters[filters].append(parent)
        counts: dict[tuple[uuid.UUID, Filters], int] = {}
        for filters, parents in by_filters.items():
            statement = self.model.count_by_keys_statement(
                self.column, parents, self.scope, dict(filters)
            )
            for row in await self.reader.all(statement):
                counts[(row._mapping[self.column], filters)] = int(row._mapping["count"])
        return [counts.get(key if isinstance(key, tuple) else (key, ()), 0) for key in keys]


class FirstPageByKeyLoader(DataLoader[PageKey, list[Row[Any]]]):
    """The first `first` (+1) rows of each key's list, optionally filtered.

    Keys are (parent id, page size) or (parent id, page size, filters): one statement per
    distinct (page size, filters) pair, whatever the number of parents.
    """

    model: ClassVar[ReadModel]
    column: ClassVar[str]

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[PageKey]) -> list[list[Row[Any]]]:
        normalized = [key if len(key) == 3 else (*key, ()) for key in keys]
        groups: dict[tuple[int, Filters], list[uuid.UUID]] = defaultdict(list)
        for parent, first, filters in normalized:
            groups[(first, filters)].append(parent)
        grouped: dict[tuple[uuid.UUID, int, Filters], list[Row[Any]]] = defaultdict(list)
        for (first, filters), parents in groups.items():
            statement = self.model.first_pages_statement(
                self.column, parents, self.scope, first, dict(filters)
            )
            for row in await self.reader.all(statement):
                grouped[(row._mapping[self.column], first, filters)].append(row)
        return [grouped.get(key, []) for key in normalized]
