"""DataLoader bases built from read-model relations: one `IN` query per batch, in scope.

Concrete loaders are named `<Result>By<Key>Loader` and live in each domain's package.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
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


class CountByKeyLoader(_ScopedLoader[int]):
    """How many rows of `model` (in scope) have each key in `column`."""

    model: ClassVar[ReadModel]
    column: ClassVar[str]

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[int]:
        rows = await self.reader.all(
            self.model.count_by_keys_statement(self.column, keys, self.scope)
        )
        counts = {row._mapping[self.column]: int(row._mapping["count"]) for row in rows}
        return [counts.get(key, 0) for key in keys]


PageKey = tuple[uuid.UUID, int]


class FirstPageByKeyLoader(DataLoader[PageKey, list[Row[Any]]]):
    """The first `first` (+1) rows of each key's list, one statement per distinct page size."""

    model: ClassVar[ReadModel]
    column: ClassVar[str]

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    async def batch_load_fn(self, keys: Sequence[PageKey]) -> list[list[Row[Any]]]:
        by_size: dict[int, list[uuid.UUID]] = defaultdict(list)
        for key, first in keys:
            by_size[first].append(key)
        grouped: dict[PageKey, list[Row[Any]]] = defaultdict(list)
        for first, ids in by_size.items():
            statement = self.model.first_pages_statement(self.column, ids, self.scope, first)
            for row in await self.reader.all(statement):
                grouped[(row._mapping[self.column], first)].append(row)
        return [grouped.get(key, []) for key in keys]
