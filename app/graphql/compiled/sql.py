"""A plan rendered as one SQL statement whose first column is the field's JSON.

The database builds the JSON. PostgreSQL builds it as text, escaping values with `to_json()`
(measured cheaper than `json_build_object`); SQLite with `json_object`/`json_group_array`.
Every value from the request is a bound parameter; only keys (GraphQL names, which need no
escaping) and fixed punctuation are literal SQL text.

Public ids (`usr_…`) are costly to build in SQL: PostgreSQL writes a marker (`\\x01`, the
prefix, `\\x02`, the UUID's text), a character `to_json()` never leaves unescaped in a value, and
Python replaces each marker with the encoded id (`expand_ids`, cached per id); SQLite calls the
same encoder as a registered function (`admiral_id`).

Scope conditions, filters, computed columns and orderings are the read models' own, so the
rows are those the ordinary path reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from functools import reduce
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from app.graphql.compiled.planner import (
    ConnectionPlan,
    EdgePlan,
    Forbidden,
    ObjectPlan,
    Related,
    Scalar,
    SinglePlan,
    Typename,
)
from app.kit.ids import encode
from app.kit.pagination import Cursor
from app.kit.readmodel import SORT_LABEL, Computed, ReadModel, RelationKind, registry
from app.kit.scope import RowScope

Expr = ColumnElement[Any]

ID_MARK = "\x01"
ID_SEP = "\x02"
_ID_PATTERN = re.compile("\x01([a-z0-9_]+)\x02([0-9a-f-]{36})")
_ids: dict[str, str] = {}


def _encoded(match: re.Match[str]) -> str:
    text = match.group(0)
    found = _ids.get(text)
    if found is None:
        if len(_ids) > 65_536:
            _ids.clear()
        found = _ids[text] = encode(match.group(1), uuid.UUID(match.group(2)))
    return found


def expand_ids(text: str) -> str:
    """PostgreSQL's id markers replaced by the public ids (no JSON decoding involved)."""
    if ID_MARK not in text:
        return text
    return _ID_PATTERN.sub(_encoded, text)


def _text(value: str) -> Expr:
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text)


def _cat(parts: Sequence[Expr]) -> Expr:
    return reduce(lambda left, right: left.op("||", return_type=sa.Text)(right), parts)


class Row:
    """Where an object's values come from: a table of the read model, or the page's rows."""

    def __init__(self, model: ReadModel, source: FromClause | None = None) -> None:
        self.model = model
        self.source: FromClause = source if source is not None else model.table
        self.is_page = source is not None

    def column(self, name: str) -> Expr:
        return self.source.c[name]

    def computed(self, field: str, source: Computed) -> Expr:
        if self.is_page:
            # The page selects computed fields under the labels `ReadModel.columns` gives.
            return self.source.c[f"f_{field}"]
        return source.sql()


class Json:
    """JSON building for one dialect: every method returns a SQL expression of JSON."""

    def value(self, kind: str, expr: Expr, prefix: str = "") -> Expr:
        raise NotImplementedError

    def string(self, value: str) -> Expr:
        raise NotImplementedError

    def null(self) -> Expr:
        raise NotImplementedError

    def obj(self, pairs: Sequence[tuple[str, Expr]]) -> Expr:
        raise NotImplementedError

    def array(
        self,
        item: Expr,
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
        order: Sequence[Expr],
        correlate: FromClause | None,
    ) -> Expr:
        raise NotImplementedError

    def one(self, select: sa.Select[Any]) -> Expr:
        raise NotImplementedError

    def count(self, select: sa.Select[Any]) -> Expr:
        raise NotImplementedError


class PostgresJson(Json):
    def value(self, kind: str, expr: Expr, prefix: str = "") -> Expr:
        built: Expr
        if kind == "string":
            built = sa.cast(sa.func.to_json(expr), sa.Text)
        elif kind == "int":
            built = sa.cast(expr, sa.Text)
        elif kind == "bool":
            return sa.case(
                (expr.is_(None), _text("null")), (expr, _text("true")), else_=_text("false")
            )
        elif kind == "datetime":
            utc = sa.func.timezone(_text("UTC"), expr)
            fraction = sa.case(
                (sa.func.date_trunc(_text("second"), expr) == expr, _text("")),
                else_=sa.func.to_char(utc, _text(".US")),
            )
            built = _cat(
                [
                    _text('"'),
                    sa.func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS')),
                    fraction,
                    _text('+00:00"'),
                ]
            )
        elif kind == "id":
            built = _cat([_text(f'"{ID_MARK}{prefix}{ID_SEP}'), sa.cast(expr, sa.Text), _text('"')])
        else:
            raise ValueError(kind)
        return sa.func.coalesce(built, _text("null"))

    def string(self, value: str) -> Expr:
        return _text('"' + value + '"')

    def null(self) -> Expr:
        return _text("null")

    def obj(self, pairs: Sequence[tuple[str, Expr]]) -> Expr:
        if not pairs:
            return _text("{}")
        parts: list[Expr] = []
        for index, (key, value) in enumerate(pairs):
            parts.append(_text(("{" if index == 0 else ",") + f'"{key}":'))
            parts.append(value)
        parts.append(_text("}"))
        return _cat(parts)

    def array(
        self,
        item: Expr,
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
        order: Sequence[Expr],
        correlate: FromClause | None,
    ) -> Expr:
        joined = sa.func.string_agg(item, aggregate_order_by(_text(","), *order))
        select = sa.select(
            sa.func.coalesce(_cat([_text("["), joined, _text("]")]), _text("[]"))
        ).select_from(source)
        return select.where(*where).scalar_subquery()

    def one(self, select: sa.Select[Any]) -> Expr:
        return sa.func.coalesce(select.scalar_subquery(), _text("null"))

    def count(self, select: sa.Select[Any]) -> Expr:
        return sa.cast(select.scalar_subquery(), sa.Text)


class SqliteJson(Json):
    def value(self, kind: str, expr: Expr, prefix: str = "") -> Expr:
        if kind in ("string", "int"):
            return expr
        if kind == "bool":
            return sa.func.json(
                sa.case(
                    (expr.is_(None), _text("null")), (expr, _text("true")), else_=_text("false")
                )
            )
        if kind == "datetime":
            # Stored as naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff`; read as Python's
            # `isoformat()` of the aware value (microseconds only when not zero).
            iso = _cat([sa.func.substr(expr, 1, 10), _text("T"), sa.func.substr(expr, 12)])
            return _cat([sa.func.replace(iso, _text(".000000"), _text("")), _text("+00:00")])
        if kind == "id":
            return sa.func.admiral_id(_text(prefix), expr)
        raise ValueError(kind)

    def string(self, value: str) -> Expr:
        return _text(value)

    def null(self) -> Expr:
        return sa.null()

    def obj(self, pairs: Sequence[tuple[str, Expr]]) -> Expr:
        arguments: list[Expr] = []
        for key, value in pairs:
            arguments.extend((_text(key), value))
        return sa.func.json_object(*arguments, type_=sa.Text)

    def array(
        self,
        item: Expr,
        source: FromClause,
        where: Sequence[ColumnElement[bool]],
        order: Sequence[Expr],
        correlate: FromClause | None,
    ) -> Expr:
        inner = sa.select(item.label("item")).select_from(source).where(*where).order_by(*order)
        if correlate is not None:
            inner = inner.correlate(correlate)
        rows = inner.subquery()
        grouped = sa.select(sa.func.json_group_array(sa.func.json(rows.c.item)))
        return sa.func.json(grouped.scalar_subquery())

    def one(self, select: sa.Select[Any]) -> Expr:
        return sa.func.json(select.scalar_subquery())

    def count(self, select: sa.Select[Any]) -> Expr:
        return select.scalar_subquery()


MAX_CACHED = 1024
_parts_cache: dict[tuple[Any, ...], tuple[ConnectionPlan, list[tuple[str, Expr | None]]]] = {}


def _objects(plan: ConnectionPlan) -> list[ObjectPlan]:
    found: list[ObjectPlan] = []
    for part in plan.parts:
        if isinstance(part, EdgePlan):
            found.extend(edge[1] for edge in part.fields if not isinstance(edge, Typename))
        elif isinstance(part, tuple) and isinstance(part[1], ObjectPlan):
            found.append(part[1])
    return found


def _static(plan: ObjectPlan, model: ReadModel) -> bool:
    """Whether the JSON of `plan`'s relations can be reused: their SQL holds no value read
    when built (the clock, in a computed field or a relation's condition). The page's own
    rows come from the page select, built per request."""
    for field in plan.fields:
        if not isinstance(field, Related):
            continue
        relation = model.relation(field.field)
        if relation.where is not None:
            return False
        if field.target is None:
            continue
        target = registry[relation.target]
        for inner in field.target.fields:
            if isinstance(inner, Scalar) and isinstance(inner.source, Computed):
                return False
        if not _static(field.target, target):
            return False
    return True


def json_for(dialect: str) -> Json:
    return SqliteJson() if dialect == "sqlite" else PostgresJson()


class Renderer:
    def __init__(self, json: Json, scope: RowScope) -> None:
        self.json = json
        self.scope = scope
        # What the last `connection` built per request (the page, then each count), and
        # whether the rest of its statement was the cached one: then only those pieces carry
        # values that differ between requests of one shape.
        self.pieces: list[sa.Select[Any]] = []
        self.reused = False

    def object(self, plan: ObjectPlan, row: Row) -> Expr:
        json = self.json
        pairs: list[tuple[str, Expr]] = []
        model = row.model
        for field in plan.fields:
            if isinstance(field, Typename):
                pairs.append((field.key, json.string(field.name)))
            elif isinstance(field, Forbidden):
                pairs.append((field.key, json.null()))
            elif isinstance(field, Scalar):
                if field.source is None:
                    expr = row.column("id")
                elif isinstance(field.source, Computed):
                    expr = row.computed(field.field, field.source)
                else:
                    expr = row.column(field.source)
                pairs.append((field.key, json.value(field.kind, expr, field.prefix)))
            else:
                pairs.append((field.key, self.related(field, model, row)))
        return json.obj(pairs)

    def related(self, field: Related, model: ReadModel, row: Row) -> Expr:
        relation = model.relation(field.field)
        target = registry[relation.target]
        conditions = [
            target.table.c[relation.remote_key] == row.column(relation.local_key),
            *target.conditions(self.scope),
        ]
        if relation.where is not None:
            conditions.append(relation.where())
        if field.kind is RelationKind.COUNT:
            counted = sa.select(sa.func.count()).select_from(target.table).where(*conditions)
            return self.json.count(counted)
        assert field.target is not None
        item = self.object(field.target, Row(target))
        if field.kind is RelationKind.ONE:
            return self.json.one(sa.select(item).where(*conditions).limit(1))
        return self.json.array(item, target.table, conditions, [target.pk.asc()], row.source)

    def connection(
        self,
        plan: ConnectionPlan,
        filters: dict[str, Any],
        ordering: str,
        descending: bool,
        size: int,
        cursor: Cursor | None,
    ) -> sa.Select[Any]:
        """The page (a CTE named `page`, built per request like `paginate` builds it), the
        count, and the JSON over the page's rows: that part, most of the statement, is built
        once per plan and scope and reused (building it costs more than running it)."""
        model = plan.root.model
        page_select = model.page_statement(
            self.scope, filters, ordering, descending, size, cursor
        ).limit(size)
        parts = self._parts(plan, page_select, descending)
        self.pieces = [page_select]
        pairs: list[tuple[str, Expr]] = []
        for key, part in parts:
            if part is None:
                counted = model.count_statement(self.scope, filters)
                self.pieces.append(counted)
                pairs.append((key, self.json.count(counted)))
            else:
                pairs.append((key, part))
        data = sa.type_coerce(self.json.obj(pairs), sa.Text).label("data")
        return sa.select(data).add_cte(page_select.cte("page"))

    def _parts(
        self, plan: ConnectionPlan, page_select: sa.Select[Any], descending: bool
    ) -> list[tuple[str, Expr | None]]:
        key = (id(plan), self.scope, type(self.json), descending)
        found = _parts_cache.get(key)
        self.reused = found is not None and found[0] is plan
        if found is not None and found[0] is plan:
            return found[1]
        page = sa.table(
            "page",
            *(sa.column(str(column.key), column.type) for column in page_select.selected_columns),
        )
        row = Row(plan.root.model, page)
        sort, pk = page.c[SORT_LABEL], page.c.id
        order = [sort.desc(), pk.desc()] if descending else [sort.asc(), pk.asc()]
        parts: list[tuple[str, Expr | None]] = []
        for part in plan.parts:
            if isinstance(part, Typename):
                parts.append((part.key, self.json.string(part.name)))
            elif isinstance(part, EdgePlan):
                edge_pairs: list[tuple[str, Expr]] = []
                for edge_part in part.fields:
                    if isinstance(edge_part, Typename):
                        edge_pairs.append((edge_part.key, self.json.string(edge_part.name)))
                    else:
                        edge_pairs.append((edge_part[0], self.object(edge_part[1], row)))
                item = self.json.obj(edge_pairs)
                parts.append((part.key, self.json.array(item, page, [], order, None)))
            elif part[1] == "totalCount":
                parts.append((part[0], None))
            else:
                assert isinstance(part[1], ObjectPlan)
                item = self.object(part[1], row)
                parts.append((part[0], self.json.array(item, page, [], order, None)))
        if all(_static(item, plan.root.model) for item in _objects(plan)):
            if len(_parts_cache) >= MAX_CACHED:
                _parts_cache.clear()
            _parts_cache[key] = (plan, parts)
        return parts

    def single(self, plan: SinglePlan, key: uuid.UUID) -> sa.Select[Any]:
        model = plan.root.model
        conditions = [model.pk == key, *model.conditions(self.scope)]
        item = self.object(plan.object, Row(model))
        found = self.json.one(sa.select(item).where(*conditions).limit(1))
        return sa.select(sa.type_coerce(found, sa.Text).label("data"))
