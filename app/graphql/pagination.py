"""Relay connections with keyset cursors, built from a domain's read model."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from app.graphql.context import Info
from app.graphql.preload import page_node_selections, preload
from app.kit.pagination import check_page_size, decode_cursor, encode_cursor
from app.kit.readmodel import SORT_LABEL, ReadModel

NodeT = TypeVar("NodeT")


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Every item matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def connection_from_rows(
    rows: Sequence[Row[Any]],
    size: int,
    kind: str,
    convert: Callable[[Row[Any]], NodeT],
    count: Callable[[], Awaitable[int]],
    *,
    has_previous: bool = False,
) -> Connection[NodeT]:
    """A connection from a page query's rows (`size` + 1 rows means another page follows)."""
    edges = [
        Edge(cursor=encode_cursor(kind, row._mapping[SORT_LABEL], row.id), node=convert(row))
        for row in rows[:size]
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


async def paginate(
    info: Info,
    model: ReadModel,
    convert: Callable[[Row[Any]], NodeT],
    *,
    first: int | None,
    after: str | None,
    filters: Mapping[str, Any] | None = None,
    ordering: str | None = None,
    direction: OrderDirection = OrderDirection.DESC,
    where: Sequence[ColumnElement[bool]] = (),
) -> Connection[NodeT]:
    """One page of `model` in the caller's scope: a select for the page, a count only if asked.

    `where` narrows the list beyond its filters (a parent's nested list)."""
    size = check_page_size(first)
    ordering = ordering or model.default_ordering
    descending = direction is OrderDirection.DESC
    kind = model.cursor_kind(ordering, descending)
    cursor = decode_cursor(after, kind, model.sort_type(ordering)) if after else None
    reader = info.context.reader
    scope = info.context.row_scope
    rows = await reader.all(
        model.page_statement(scope, filters, ordering, descending, size, cursor, *where)
    )

    async def count() -> int:
        return int(await reader.scalar(model.count_statement(scope, filters, *where)))

    connection = connection_from_rows(
        rows, size, kind, convert, count, has_previous=cursor is not None
    )
    await preload(info, [edge.node for edge in connection.edges], page_node_selections(info))
    return connection
