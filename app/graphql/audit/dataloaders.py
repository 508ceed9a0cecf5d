"""Loaders of the audit trail: a user's activity, batched across users."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.engine import Row

from app.audit.repository import activity_counts_statement, activity_first_pages_statement
from app.db import Reader
from app.kit.scope import RowScope

ActivityKey = tuple[str, int]


class ActivityFirstPageByUserIdLoader(DataLoader[ActivityKey, list[Row[Any]]]):
    """Keyed by (public user id, page size); staff-only (`User.activity` is master-only), so
    no row scope applies."""

    def __init__(self, reader: Reader, _: RowScope) -> None:
        super().__init__()
        self.reader = reader

    async def batch_load_fn(self, keys: Sequence[ActivityKey]) -> list[list[Row[Any]]]:
        by_size: dict[int, list[str]] = defaultdict(list)
        for subject, first in keys:
            by_size[first].append(subject)
        grouped: dict[ActivityKey, list[Row[Any]]] = defaultdict(list)
        for first, subjects in by_size.items():
            rows = await self.reader.all(activity_first_pages_statement(subjects, first))
            for row in rows:
                grouped[(row.subject, first)].append(row)
        return [grouped.get(key, []) for key in keys]


class ActivityCountByUserIdLoader(DataLoader[str, int]):
    def __init__(self, reader: Reader, _: RowScope) -> None:
        super().__init__()
        self.reader = reader

    async def batch_load_fn(self, keys: Sequence[str]) -> list[int]:
        rows = await self.reader.all(activity_counts_statement(keys))
        counts = {row.subject: int(row._mapping["count"]) for row in rows}
        return [counts.get(key, 0) for key in keys]
