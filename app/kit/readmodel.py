"""A domain's read model described as data.

Each domain says, once, what its GraphQL type reads: the table, the column behind each field,
its relations and their join keys, who may see which rows (the scope filter), which filters and
orderings exist, and which fields only a master may read. Repositories and DataLoaders build their
SQL from this description with SQLAlchemy Core; a later query planner can compile a whole
selection set from the same description.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.kit.pagination import Cursor
from app.kit.scope import RowScope

ScopeFilter = Callable[[RowScope], ColumnElement[bool] | None]
FilterBuilder = Callable[[Any, RowScope], ColumnElement[bool]]
"""A filter's condition from its value and the caller's row scope.

The model's scope filter already restricts the rows themselves; a filter that looks beyond its
row (through memberships into customers, say) must keep that look inside the scope too, or a
filter value naming another customer would tell what lies there.
"""


def within(column: sa.ColumnElement[Any], row_scope: RowScope) -> list[ColumnElement[bool]]:
    """The conditions keeping `column` to the caller's customers: none for a master."""
    if row_scope.customer_ids is None:
        return []
    return [column.in_(sorted(row_scope.customer_ids))]


def scoped_by(column: sa.ColumnElement[Any]) -> ScopeFilter:
    """Rows whose `column` names one of the caller's customers (masters see every row)."""

    def scope(row_scope: RowScope) -> ColumnElement[bool] | None:
        conditions = within(column, row_scope)
        return conditions[0] if conditions else None

    return scope


def row_filter(build: Callable[[Any], ColumnElement[bool]]) -> FilterBuilder:
    """A filter reading only the row's own columns (or data no scope restricts, such as the
    plan catalog): the model's scope filter already keeps those rows in scope."""

    def condition(value: Any, _: RowScope) -> ColumnElement[bool]:
        return build(value)

    return condition


def staff_only(row_scope: RowScope) -> ColumnElement[bool] | None:
    """Staff data (notes, sessions, feedback, keys): masters see it, session admins never do."""
    return None if row_scope.customer_ids is None else sa.false()


def unscoped(_: RowScope) -> ColumnElement[bool] | None:
    """Not tenant data (the plan catalog): whoever reaches a row through a field may read it."""
    return None


SORT_LABEL = "_sort"
RANK_LABEL = "_rank"


@dataclass(frozen=True, slots=True)
class Relation:
    """`field` on this model holds rows of `target` whose `remote_key` equals our `local_key`."""

    field: str
    target: str
    local_key: str
    remote_key: str
    many: bool


@dataclass(frozen=True)
class ReadModel:
    name: str
    table: sa.Table
    prefix: str
    fields: Mapping[str, str]
    scope: ScopeFilter
    relations: tuple[Relation, ...] = ()
    filters: Mapping[str, FilterBuilder] = field(default_factory=dict)
    orderings: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    default_ordering: str = "CREATED_AT"
    master_only: frozenset[str] = frozenset()

    @property
    def pk(self) -> sa.Column[Any]:
        return self.table.c.id

    def columns(self) -> list[sa.Column[Any]]:
        names = dict.fromkeys(["id", *self.fields.values()])
        names.update(dict.fromkeys(relation.local_key for relation in self.relations))
        return [self.table.c[name] for name in names]

    def relation(self, field_name: str) -> Relation:
        for relation in self.relations:
            if relation.field == field_name:
                return relation
        raise KeyError(f"{self.name} has no relation {field_name!r}")

    def conditions(
        self, scope: RowScope, filter_values: Mapping[str, Any] | None = None
    ) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        scoped = self.scope(scope)
        if scoped is not None:
            conditions.append(scoped)
        for name, value in (filter_values or {}).items():
            if value is not None:
                conditions.append(self.filters[name](value, scope))
        return conditions

    def sort_type(self, ordering: str) -> type[Any] | None:
        """The Python type of an ordering's values (to check cursors), None if unknown."""
        sql_type = self.orderings[ordering].type
        if isinstance(sql_type, sa.TypeDecorator):
            sql_type = sql_type.impl_instance
        if isinstance(sql_type, sa.DateTime):
            return datetime
        try:
            python_type: type[Any] = sql_type.python_type
        except NotImplementedError:
            return None
        return None if python_type is object else python_type

    def cursor_kind(self, ordering: str, descending: bool) -> str:
        return f"{self.name}:{ordering}:{'desc' if descending else 'asc'}"

    def page_statement(
        self,
        scope: RowScope,
        filter_values: Mapping[str, Any] | None,
        ordering: str,
        descending: bool,
        first: int,
        after: Cursor | None,
    ) -> sa.Select[Any]:
        """One page plus one row (to tell whether another page follows), in keyset order."""
        sort = self.orderings[ordering]
        conditions = self.conditions(scope, filter_values)
        if after is not None:
            key = sa.tuple_(sort, self.pk)
            bound = sa.tuple_(
                sa.literal(after.value, sort.type), sa.literal(after.id, self.pk.type)
            )
            conditions.append(key < bound if descending else key > bound)
        order = (sort.desc(), self.pk.desc()) if descending else (sort.asc(), self.pk.asc())
        return (
            sa.select(*self.columns(), sort.label(SORT_LABEL))
            .where(*conditions)
            .order_by(*order)
            .limit(first + 1)
        )

    def count_statement(
        self, scope: RowScope, filter_values: Mapping[str, Any] | None = None
    ) -> sa.Select[Any]:
        return (
            sa.select(sa.func.count())
            .select_from(self.table)
            .where(*self.conditions(scope, filter_values))
        )

    def _columns_with(self, column: str) -> list[sa.Column[Any]]:
        """The model's columns plus `column`, which batched loads group their rows by."""
        columns = self.columns()
        key = self.table.c[column]
        return columns if key in columns else [*columns, key]

    def by_keys_statement(
        self, column: str, keys: Iterable[Any], scope: RowScope
    ) -> sa.Select[Any]:
        """Every row whose `column` is one of `keys`, within the caller's scope."""
        return sa.select(*self._columns_with(column)).where(
            self.table.c[column].in_(list(keys)), *self.conditions(scope)
        )

    def count_by_keys_statement(
        self,
        column: str,
        keys: Iterable[uuid.UUID],
        scope: RowScope,
        filter_values: Mapping[str, Any] | None = None,
    ) -> sa.Select[Any]:
        key = self.table.c[column]
        return (
            sa.select(key, sa.func.count().label("count"))
            .where(key.in_(list(keys)), *self.conditions(scope, filter_values))
            .group_by(key)
        )

    def first_pages_statement(
        self,
        column: str,
        keys: Iterable[uuid.UUID],
        scope: RowScope,
        first: int,
        filter_values: Mapping[str, Any] | None = None,
    ) -> sa.Select[Any]:
        """The first page (+1 row) of every key's list at once, ranked by a window function.

        Pages follow the default ordering, newest first, like `paginate` without arguments.
        """
        sort = self.orderings[self.default_ordering]
        key = self.table.c[column]
        rank = (
            sa.func.row_number()
            .over(partition_by=key, order_by=(sort.desc(), self.pk.desc()))
            .label(RANK_LABEL)
        )
        ranked = (
            sa.select(*self._columns_with(column), sort.label(SORT_LABEL), rank)
            .where(key.in_(list(keys)), *self.conditions(scope, filter_values))
            .subquery()
        )
        return (
            sa.select(ranked)
            .where(ranked.c[RANK_LABEL] <= first + 1)
            .order_by(ranked.c[column], ranked.c[RANK_LABEL])
        )


class ReadModels:
    """The registry of every domain's read model, by GraphQL type name and by id prefix."""

    def __init__(self) -> None:
        self._by_name: dict[str, ReadModel] = {}

    def register(self, model: ReadModel) -> ReadModel:
        if model.name in self._by_name:
            raise ValueError(f"read model {model.name} registered twice")
        self._by_name[model.name] = model
        return model

    def __getitem__(self, name: str) -> ReadModel:
        return self._by_name[name]

    def by_prefix(self, prefix: str) -> ReadModel | None:
        return next((m for m in self._by_name.values() if m.prefix == prefix), None)

    def __iter__(self) -> Any:
        return iter(self._by_name.values())


registry = ReadModels()
