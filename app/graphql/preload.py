"""Eager loading of a page's relations, driven by the selection set.

Resolved lazily, every related object of every row is a separate awaitable (and, in a list, a
separate asyncio task): a page of 100 users with memberships, customers and plans made about
300 tasks per request. Instead, a connection resolver looks at what the client selected and,
level by level, loads each selected relation for the whole page at once through the same
DataLoaders, storing the results on the nodes. The relation fields then resolve synchronously.
Statement counts do not change (the loaders batch exactly as before); only the Python work does.

Types declare which fields can be preloaded (`preloads`), as data: the loader that fetches
the field and the attribute holding its key. A field with arguments is left to its resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from app.graphql.context import Info

MISSING: Any = object()
_SLOT = "_preloaded_"


@dataclass(frozen=True, slots=True)
class Preload:
    loader: str  # the `Loaders` attribute that fetches this field
    key: str  # the node attribute holding the loader's key
    master_only: bool = False  # skip for other callers: the field answers FORBIDDEN anyway


def relation(node: Any, field: str, info: Info) -> Any:
    """A relation's value: preloaded when it was, else an awaitable from its loader."""
    value = node.__dict__.get(_SLOT + field, MISSING)
    if value is not MISSING:
        return value
    spec: Preload = type(node).preloads[field]
    key = getattr(node, spec.key)
    if key is None:
        return None
    return getattr(info.context.loaders, spec.loader).load(key)


def _fields(selections: Iterable[Selection]) -> list[SelectedField]:
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            found.extend(_fields(selection.selections))
    return found


def page_node_selections(info: Info) -> list[SelectedField]:
    """What the client selected on the nodes of the connection being resolved."""
    nodes: list[SelectedField] = []
    for connection in info.selected_fields:
        for field in _fields(connection.selections):
            if field.name == "nodes":
                nodes.extend(_fields(field.selections))
            elif field.name == "edges":
                for edge_field in _fields(field.selections):
                    if edge_field.name == "node":
                        nodes.extend(_fields(edge_field.selections))
    return nodes


async def preload(info: Info, nodes: Sequence[Any], selections: Sequence[SelectedField]) -> None:
    """Load every preloadable relation selected on `nodes`, recursively, a level at a time."""
    if not nodes or not selections:
        return
    preloads: Mapping[str, Preload] = getattr(type(nodes[0]), "preloads", {})
    if not preloads:
        return
    principal = info.context.principal
    is_master = principal is not None and principal.is_master
    wanted: dict[str, list[SelectedField]] = {}
    for field in selections:
        spec = preloads.get(field.name)
        if spec is None or field.arguments or (spec.master_only and not is_master):
            continue
        wanted.setdefault(field.name, []).append(field)
    await asyncio.gather(
        *(_load_field(info, nodes, name, preloads[name], fields) for name, fields in wanted.items())
    )


async def _load_field(
    info: Info, nodes: Sequence[Any], name: str, spec: Preload, fields: list[SelectedField]
) -> None:
    keys = [getattr(node, spec.key) for node in nodes]
    loader = getattr(info.context.loaders, spec.loader)
    values = await loader.load_many([key for key in keys if key is not None])
    found = iter(values)
    children: list[Any] = []
    for node, key in zip(nodes, keys, strict=True):
        value = None if key is None else next(found)
        node.__dict__[_SLOT + name] = value
        if isinstance(value, list):
            children.extend(value)
        elif value is not None and not isinstance(value, (int, str)):
            children.append(value)
    selections = [child for field in fields for child in _fields(field.selections)]
    await preload(info, children, selections)
