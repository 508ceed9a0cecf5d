"""Relations of a page's objects, loaded level by level, driven by the selection set.

Resolved lazily, every related object of every row is a separate awaitable (and, in a list, a
separate asyncio task): a page of 100 users with memberships, customers and plans made about
300 tasks per request. Instead, a connection resolver looks at what the client selected and,
level by level, loads each selected ONE, LIST or COUNT relation for the whole page at once
through the loader its read-model `Relation` describes, storing the results on the objects.
The relation fields then resolve synchronously (`related`). Statement counts do not change
(the loaders batch exactly as before); only the Python work does.

A relation field with arguments, and a master-only one for any other caller, is left to its
resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from app.graphql.context import Info
from app.graphql.dataloaders import (
    CountByKeyLoader,
    LoadSpec,
    ObjectByKeyLoader,
    ObjectsByKeyLoader,
)
from app.kit.readmodel import ReadModel, Relation, RelationKind

PRELOADED = "_preloaded_"  # node.__dict__ key prefix of relations loaded for a whole page
KEYS = "_keys"  # node.__dict__ key of the row's relation keys (set by `from_row`)

LOADER_OF_KIND: dict[RelationKind, type[Any]] = {
    RelationKind.ONE: ObjectByKeyLoader,
    RelationKind.LIST: ObjectsByKeyLoader,
    RelationKind.COUNT: CountByKeyLoader,
}
EMPTY_OF_KIND: dict[RelationKind, Any] = {
    RelationKind.ONE: None,
    RelationKind.LIST: [],
    RelationKind.COUNT: 0,
}


def relation_key(node: Any, relation: Relation) -> Any:
    return node.__dict__[KEYS][relation.local_key]


def _loader(info: Info, relation: Relation) -> Any:
    return info.context.loader(LOADER_OF_KIND[relation.kind], LoadSpec.of(relation))


def related(node: Any, info: Info, field: str) -> Any:
    """A ONE, LIST or COUNT relation's value: preloaded for the page when it was, else an
    awaitable from the loader its `Relation` describes."""
    value = node.__dict__.get(PRELOADED + field, PRELOADED)
    if value is not PRELOADED:
        return value
    relation = type(node).read_model.relation(field)
    key = relation_key(node, relation)
    if key is None:
        return EMPTY_OF_KIND[relation.kind]
    return _loader(info, relation).load(key)


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
    model: ReadModel | None = getattr(type(nodes[0]), "read_model", None)
    if model is None:
        return
    principal = info.context.principal
    is_master = principal is not None and principal.is_master
    wanted: dict[str, list[SelectedField]] = {}
    relations: dict[str, Relation] = {}
    for field in selections:
        relation = model.relation_or_none(field.name)
        if relation is None or relation.kind is RelationKind.CONNECTION or field.arguments:
            continue
        if field.name in model.master_only and not is_master:
            continue
        relations[field.name] = relation
        wanted.setdefault(field.name, []).append(field)
    await asyncio.gather(
        *(_load_field(info, nodes, relations[name], fields) for name, fields in wanted.items())
    )


async def _load_field(
    info: Info, nodes: Sequence[Any], relation: Relation, fields: list[SelectedField]
) -> None:
    keys = [relation_key(node, relation) for node in nodes]
    values = await _loader(info, relation).load_many([key for key in keys if key is not None])
    found = iter(values)
    children: list[Any] = []
    empty = EMPTY_OF_KIND[relation.kind]
    for node, key in zip(nodes, keys, strict=True):
        value = empty if key is None else next(found)
        node.__dict__[PRELOADED + relation.field] = value
        if isinstance(value, list):
            children.extend(value)
        elif value is not None and not isinstance(value, (int, str)):
            children.append(value)
    selections = [child for field in fields for child in _fields(field.selections)]
    await preload(info, children, selections)
