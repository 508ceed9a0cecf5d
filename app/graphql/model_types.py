"""GraphQL object types derived from their read models.

A domain declares its type's fields once, with their Python types and descriptions, and says
which read model it shows: `@model_type(USER_MODEL, description=…)`. From the read model this
module derives the rest, so nothing is said twice:

- building an object from a selected row (`from_row`), plain fields, computed ones and small
  composite objects alike;
- the FORBIDDEN permission on every master-only field;
- connection fields, paged through the loaders their `Relation` describes (`related_page`;
  the other relations resolve with `app.graphql.preload.related`);
- `node(id:)` for the model's id prefix.

Types register themselves by read-model name as they are imported: a new domain adds its
types without editing a shared list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.base import StrawberryOptional, get_object_definition
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from app.graphql.context import Info
from app.graphql.dataloaders import (
    CountByKeyLoader,
    FirstPageByKeyLoader,
    LoadSpec,
    ObjectByKeyLoader,
    filters_key,
)
from app.graphql.node import register_node
from app.graphql.pagination import Connection, connection_from_rows, paginate
from app.graphql.permissions import master_only
from app.graphql.preload import KEYS, relation_key
from app.graphql.type_registry import register_type, type_of
from app.kit.ids import encode
from app.kit.pagination import check_page_size
from app.kit.readmodel import Composite, ReadModel, Relation, registry
from app.kit.scope import EVERYTHING

T = TypeVar("T")


class ModelObject:
    """What `@model_type` gives a type, spelled out for the type checker."""

    read_model: ClassVar[ReadModel]
    PREFIX: ClassVar[str]  # the prefix of its public ids (`usr_…`), its read model's

    @classmethod
    def from_row(cls, row: Row[Any]) -> Self:
        return _from_row(cls, row)


def graphql_name(field: StrawberryField) -> str:
    return field.graphql_name or to_camel_case(field.python_name)


ModelT = TypeVar("ModelT", bound="ModelObject")


def model_type(model: ReadModel, *, description: str) -> Callable[[type[T]], type[T]]:
    """`@strawberry.type` for the GraphQL type showing `model`'s rows."""

    def wrap(cls: type[T]) -> type[T]:
        typed = strawberry.type(cls, description=description)
        definition = get_object_definition(typed, strict=True)
        names = {graphql_name(field): field for field in definition.fields}
        for name in model.master_only:
            if name not in names:
                raise TypeError(f"{model.name}.{name} is master-only but not a field")
            names[name].extensions.extend(master_only())
        if not issubclass(typed, ModelObject):
            raise TypeError(f"{cls.__name__} must derive from ModelObject")
        typed.read_model = model
        typed.PREFIX = model.prefix
        register_type(model.name, typed)
        register_node(model.prefix, _fetcher(model))
        return typed

    return wrap


def by_id_loader(info: Info, model: ReadModel) -> ObjectByKeyLoader:
    """The request's loader of `model`'s objects by id, in the caller's scope."""
    return info.context.loader(ObjectByKeyLoader, LoadSpec(model.name))


def _fetcher(model: ReadModel) -> Callable[[Info, uuid.UUID], Any]:
    async def fetch(info: Info, pk: uuid.UUID) -> Any:
        return await by_id_loader(info, model).load(pk)

    return fetch


# ---------------------------------------------------------------- rows to objects

_Plan = list[tuple[str, Callable[[Mapping[str, Any]], Any], type[Any] | None]]
_plans: dict[type[Any], _Plan] = {}


def _plan_of(cls: type[Any]) -> _Plan:
    """How to fill each dataclass field of `cls` from a row (worked out once per type)."""
    plan = _plans.get(cls)
    if plan is not None:
        return plan
    model: ReadModel = cls.read_model
    plan = []
    for field in get_object_definition(cls, strict=True).fields:
        name = graphql_name(field)
        if name not in model.fields:
            continue
        composite: Any = None
        if isinstance(model.fields[name], Composite):
            composite = field.type
            if isinstance(composite, StrawberryOptional):
                composite = composite.of_type
        plan.append((field.python_name, model.reader_of(name), composite))
    _plans[cls] = plan
    return plan


def _from_row(cls: type[ModelT], row: Row[Any]) -> ModelT:
    mapping: Any = row._mapping
    model = cls.read_model
    values: dict[str, Any] = {"id": strawberry.ID(encode(model.prefix, mapping["id"]))}
    for attribute, read, composite in _plan_of(cls):
        value = read(mapping)
        if composite is not None and value is not None:
            value = composite(**value)
        values[attribute] = value
    if "pk" in cls.__dataclass_fields__:  # type: ignore[attr-defined]
        values["pk"] = mapping["id"]
    node = cls(**values)
    node.__dict__[KEYS] = {r.local_key: mapping[r.local_key] for r in model.relations}
    return node


async def read_back(session: AsyncSession, cls: type[ModelT], pk: uuid.UUID) -> ModelT:
    """The object as a mutation's unit of work now sees it (a dry run's would-be state too).

    Read through the same read model as every query, so a payload shows exactly what a later
    read will; the mutation has already checked the caller may reach it.
    """
    await session.flush()
    statement = cls.read_model.by_keys_statement("id", [pk], EVERYTHING)
    return cls.from_row((await session.execute(statement)).one())


async def read_unscoped(info: Info, cls: type[ModelT], pk: uuid.UUID) -> ModelT | None:
    """An object regardless of the caller's row scope: only for the caller's own identity
    (`me.user`, whoever is impersonating them), never for what a client names."""
    statement = cls.read_model.by_keys_statement("id", [pk], EVERYTHING)
    rows = await info.context.reader.all(statement)
    return cls.from_row(rows[0]) if rows else None


# ---------------------------------------------------------------- relations


async def related_page(
    node: Any,
    info: Info,
    field: str,
    *,
    first: int | None,
    after: str | None,
    **filters: Any,
) -> Connection[Any]:
    """A CONNECTION relation: the first pages of every parent of a list come from one batched
    window query (per page size and filter values); a later page (`after`) is one keyset
    query for that parent alone."""
    relation: Relation = type(node).read_model.relation(field)
    unknown = set(filters) - set(relation.arguments)
    if unknown:
        raise TypeError(f"{field} takes no filter {sorted(unknown)}")
    target = registry[relation.target]
    convert = type_of(relation.target).from_row
    key = relation_key(node, relation)
    spec = LoadSpec.of(relation)
    if after is not None:
        return await paginate(
            info,
            target,
            convert,
            first=first,
            after=after,
            filters=filters,
            where=[target.table.c[relation.remote_key] == key, *spec.conditions()],
        )
    size = check_page_size(first)
    narrowing = filters_key(filters)
    rows = await info.context.loader(FirstPageByKeyLoader, spec).load((key, size, narrowing))
    kind = target.cursor_kind(target.default_ordering, True)
    counts = info.context.loader(CountByKeyLoader, spec)

    async def count() -> int:
        return int(await counts.load((key, narrowing)))

    return connection_from_rows(rows, size, kind, convert, count)
