"""A domain's read model described as data.

Each domain says, once, what its GraphQL type reads: the table, the column behind each field,
its relations and their join keys, who may see which rows (the scope filter), which filters and
orderings exist, and which fields only a master may read. Repositories and DataLoaders build their
SQL from this description with SQLAlchemy Core; a later query planner can compile a whole
selection set from the same description.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from app.kit.ids import encode
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


def owned_by(column: sa.ColumnElement[Any]) -> ScopeFilter:
    """Rows that belong to the signed-in caller (`column` holds their user id); masters see
    every row, a caller with no user (none below master) sees none."""

    def scope(row_scope: RowScope) -> ColumnElement[bool] | None:
        if row_scope.customer_ids is None:
            return None
        if row_scope.user_id is None:
            return sa.false()
        return column == row_scope.user_id

    return scope


def staff_only(row_scope: RowScope) -> ColumnElement[bool] | None:
    """Staff data (notes, sessions, feedback, keys): masters see it, session admins never do."""
    return None if row_scope.customer_ids is None else sa.false()


def unscoped(_: RowScope) -> ColumnElement[bool] | None:
    """Not tenant data (the plan catalog): whoever reaches a row through a field may read it."""
    return None


SORT_LABEL = "_sort"
RANK_LABEL = "_rank"

SqlBuilder = Callable[[], ColumnElement[Any]]
"""Builds a SQL expression over the model's table; called per statement (it may read the clock)."""


@dataclass(frozen=True, slots=True)
class Computed:
    """A field whose value SQL computes from the row (an effective status, a flag)."""

    sql: SqlBuilder


@dataclass(frozen=True, slots=True)
class PublicId:
    """A field showing another object's public id (`cus_…`) from a key column of the row."""

    prefix: str
    column: str


@dataclass(frozen=True, slots=True)
class Composite:
    """A field holding a small object (or `Money`) made of several values of the row; null
    unless `when` holds. `parts` maps the object's attribute names to their sources."""

    parts: Mapping[str, str | Computed]
    when: SqlBuilder | None = None


FieldSource = str | Computed | PublicId | Composite
"""Where a field's value comes from: a column name, or one of the kinds above."""


class RelationKind(enum.Enum):
    ONE = "one"  # the row `remote_key` = our `local_key` (a membership's customer)
    LIST = "list"  # every such row, oldest first (a user's memberships)
    CONNECTION = "connection"  # a paged list, newest first (a customer's members)
    COUNT = "count"  # how many such rows (a user's notes count)


@dataclass(frozen=True, slots=True)
class Relation:
    """`field` on this model holds rows of the model named `target` whose `remote_key` column
    equals our `local_key` column, in the caller's row scope of the target (and `where`).

    `arguments` names the target's filters a CONNECTION field takes as arguments."""

    field: str
    target: str
    local_key: str
    remote_key: str
    kind: RelationKind
    where: Callable[[], ColumnElement[bool]] | None = None
    arguments: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        return self.kind is not RelationKind.ONE


def one(field: str, target: str, local_key: str, remote_key: str = "id") -> Relation:
    return Relation(field, target, local_key, remote_key, RelationKind.ONE)


def many(
    field: str,
    target: str,
    remote_key: str,
    kind: RelationKind = RelationKind.CONNECTION,
    *,
    local_key: str = "id",
    where: Callable[[], ColumnElement[bool]] | None = None,
    arguments: tuple[str, ...] = (),
) -> Relation:
    return Relation(field, target, local_key, remote_key, kind, where, arguments)


def _label(field_name: str, part: str | None = None) -> str:
    return f"f_{field_name}" if part is None else f"f_{field_name}__{part}"


@dataclass(frozen=True)
class ReadModel:
    """What one GraphQL type reads, as data.

    `fields` maps GraphQL field names to their sources; `relations` are the fields holding
    other models' rows; `resolved` names the few fields computed by resolvers outside this
    description (they cannot be compiled into SQL); `master_only` the fields only a master may
    read (their GraphQL permission is derived from it). A test walks every model against the
    schema, so the description and the types cannot drift apart.
    """

    name: str
    table: sa.Table
    prefix: str
    fields: Mapping[str, FieldSource]
    scope: ScopeFilter
    relations: tuple[Relation, ...] = ()
    filters: Mapping[str, FilterBuilder] = field(default_factory=dict)
    orderings: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    default_ordering: str = "CREATED_AT"
    master_only: frozenset[str] = frozenset()
    resolved: frozenset[str] = frozenset()

    @property
    def pk(self) -> sa.Column[Any]:
        return self.table.c.id

    def columns(self) -> list[ColumnElement[Any]]:
        """What a read selects: the id, every field's columns or expressions (labelled as
        `value_of` reads them), and the keys the relations join on."""
        table = self.table.c
        plain: dict[str, ColumnElement[Any]] = {"id": table.id}
        computed: list[ColumnElement[Any]] = []
        for name, source in self.fields.items():
            if isinstance(source, str):
                plain.setdefault(source, table[source])
            elif isinstance(source, PublicId):
                plain.setdefault(source.column, table[source.column])
            elif isinstance(source, Computed):
                computed.append(source.sql().label(_label(name)))
            else:
                for part, inner in source.parts.items():
                    if isinstance(inner, str):
                        plain.setdefault(inner, table[inner])
                    else:
                        computed.append(inner.sql().label(_label(name, part)))
                if source.when is not None:
                    computed.append(source.when().label(_label(name, "when")))
        for relation in self.relations:
            plain.setdefault(relation.local_key, table[relation.local_key])
        return [*plain.values(), *computed]

    def relation(self, field_name: str) -> Relation:
        for relation in self.relations:
            if relation.field == field_name:
                return relation
        raise KeyError(f"{self.name} has no relation {field_name!r}")

    def relation_or_none(self, field_name: str) -> Relation | None:
        return next((r for r in self.relations if r.field == field_name), None)

    def reader_of(self, field_name: str) -> Callable[[Mapping[str, Any]], Any]:
        """How to read a field's value from a selected row's mapping (Composite fields give a
        dict of their parts, or None when `when` does not hold)."""
        source = self.fields[field_name]
        if isinstance(source, str):
            return lambda row: row[source]
        if isinstance(source, PublicId):
            return lambda row: (
                None if row[source.column] is None else encode(source.prefix, row[source.column])
            )
        if isinstance(source, Computed):
            label = _label(field_name)
            return lambda row: row[label]
        keys = {
            part: inner if isinstance(inner, str) else _label(field_name, part)
            for part, inner in source.parts.items()
        }
        when = _label(field_name, "when") if source.when is not None else None

        def composite(row: Mapping[str, Any]) -> dict[str, Any] | None:
            if when is not None and not row[when]:
                return None
            return {part: row[key] for part, key in keys.items()}

        return composite

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
        *where: ColumnElement[bool],
    ) -> sa.Select[Any]:
        """One page plus one row (to tell whether another page follows), in keyset order."""
        sort = self.orderings[ordering]
        conditions = [*self.conditions(scope, filter_values), *where]
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
        self,
        scope: RowScope,
        filter_values: Mapping[str, Any] | None = None,
        *where: ColumnElement[bool],
    ) -> sa.Select[Any]:
        return (
            sa.select(sa.func.count())
            .select_from(self.table)
            .where(*self.conditions(scope, filter_values), *where)
        )

    def _columns_with(self, column: str) -> list[ColumnElement[Any]]:
        """The model's columns plus `column`, which batched loads group their rows by."""
        columns = self.columns()
        key = self.table.c[column]
        return columns if any(key is selected for selected in columns) else [*columns, key]

    def by_keys_statement(
        self,
        column: str,
        keys: Iterable[Any],
        scope: RowScope,
        *where: ColumnElement[bool],
    ) -> sa.Select[Any]:
        """Every row whose `column` is one of `keys`, within the caller's scope."""
        return sa.select(*self._columns_with(column)).where(
            self.table.c[column].in_(list(keys)), *self.conditions(scope), *where
        )

    def count_by_keys_statement(
        self,
        column: str,
        keys: Iterable[uuid.UUID],
        scope: RowScope,
        filter_values: Mapping[str, Any] | None = None,
        *where: ColumnElement[bool],
    ) -> sa.Select[Any]:
        key = self.table.c[column]
        return (
            sa.select(key, sa.func.count().label("count"))
            .where(key.in_(list(keys)), *self.conditions(scope, filter_values), *where)
            .group_by(key)
        )

    def first_pages_statement(
        self,
        column: str,
        keys: Iterable[uuid.UUID],
        scope: RowScope,
        first: int,
        filter_values: Mapping[str, Any] | None = None,
        *where: ColumnElement[bool],
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
            .where(key.in_(list(keys)), *self.conditions(scope, filter_values), *where)
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
        taken = self.by_prefix(model.prefix)
        if taken is not None:
            raise ValueError(f"id prefix {model.prefix!r} of {model.name} is {taken.name}'s")
        self._by_name[model.name] = model
        return model

    def __getitem__(self, name: str) -> ReadModel:
        return self._by_name[name]

    def by_prefix(self, prefix: str) -> ReadModel | None:
        return next((m for m in self._by_name.values() if m.prefix == prefix), None)

    def __iter__(self) -> Iterator[ReadModel]:
        return iter(self._by_name.values())


registry = ReadModels()
