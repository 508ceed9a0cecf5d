"""Global object identification: every object has an opaque prefixed id, `node(id:)` finds it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from app.graphql.context import Info
from app.kit.errors import ErrorCode, RequestError
from app.kit.ids import InvalidIdError, decode


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


NodeFetcher = Callable[[Info, uuid.UUID], Awaitable[Any]]
_fetchers: dict[str, NodeFetcher] = {}


def register_node(prefix: str, fetch: NodeFetcher) -> None:
    _fetchers[prefix] = fetch


def parse_id(text: str, prefix: str | tuple[str, ...], argument: str = "id") -> uuid.UUID:
    """The UUID in a public id argument of a query; a wrong kind of id is a request error."""
    try:
        return decode(text, prefix)
    except InvalidIdError as error:
        raise RequestError(f"`{argument}`: {error}", ErrorCode.BAD_USER_INPUT) from None


async def resolve_node(info: Info, global_id: str) -> Node | None:
    prefix = global_id.rpartition("_")[0]
    fetch = _fetchers.get(prefix)
    if fetch is None:
        raise RequestError(
            f"`id`: {global_id[:40]!r} is not the id of any kind of object.",
            ErrorCode.BAD_USER_INPUT,
        )
    node: Node | None = await fetch(info, parse_id(global_id, prefix))
    return node
