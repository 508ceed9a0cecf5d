"""What deleting rows takes with it, read from the foreign keys instead of a hand-kept list.

Every table that refers to another with `ON DELETE CASCADE` is removed by the database together
with the rows it refers to; this module counts those rows beforehand, transitively, so a delete
can say what it removed. A domain that adds a table referring to users (or customers) is
counted without editing anything: its foreign key is the declaration.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

MAX_DEPTH = 8  # deeper chains of cascades would be a modelling mistake


def kind_of(table: sa.Table) -> str:
    """The name a table's rows go by in reports: `info={"kind": …}`, else its camelCased name."""
    kind = table.info.get("kind")
    if isinstance(kind, str):
        return kind
    head, *rest = table.name.split("_")
    return head + "".join(part.title() for part in rest)


async def cascade_counts(
    session: AsyncSession, table: sa.Table, condition: sa.ColumnElement[bool]
) -> dict[str, int]:
    """Rows of every table that deleting `table`'s rows matching `condition` would cascade to.

    A row that refers to the deleted rows through several foreign keys counts once.
    """
    counts: Counter[str] = Counter()
    await _count_children(session, table, condition, counts, depth=0)
    return dict(counts)


async def _count_children(
    session: AsyncSession,
    table: sa.Table,
    condition: sa.ColumnElement[bool],
    counts: Counter[str],
    depth: int,
) -> None:
    if depth >= MAX_DEPTH:
        raise RuntimeError(f"cascading deletes from {table.name} go deeper than {MAX_DEPTH}")
    for child in table.metadata.sorted_tables:
        links = [
            key
            for key in child.foreign_keys
            if key.column.table is table and (key.ondelete or "").upper() == "CASCADE"
        ]
        if not links:
            continue
        reached = sa.or_(*(key.parent.in_(sa.select(key.column).where(condition)) for key in links))
        found = await session.scalar(sa.select(sa.func.count()).select_from(child).where(reached))
        if found:
            counts[kind_of(child)] += int(found)
            await _count_children(session, child, reached, counts, depth + 1)
