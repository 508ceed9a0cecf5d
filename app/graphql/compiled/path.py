"""Answering a read operation with one statement per root field, or handing it back.

`ReadPath.respond` returns a response, or None when the operation must run the ordinary way:
anything but a validated query from a signed-in caller, anything the planner cannot compile,
arguments its declaration refuses (ordinary execution then reports them), and any failure
while running it. It never makes a GraphQL error of its own; the only errors it writes are
the FORBIDDEN ones ordinary execution gives for master-only fields, decided at plan time.

Plans are cached per (document, operation name, scope kind, variable shape), where the shape
holds the booleans (`@skip`/`@include`) and which variables are null.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import orjson
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter
from starlette.requests import Request
from starlette.responses import Response

from app.auth.principal import Principal
from app.db import Reader
from app.graphql.compiled.planner import (
    ConnectionPlan,
    EdgePlan,
    Forbidden,
    ObjectPlan,
    OperationPlan,
    Planner,
    Related,
    SinglePlan,
    Typename,
    Uncompilable,
)
from app.graphql.compiled.sql import Renderer, expand_ids, json_for
from app.graphql.errors import format_error
from app.graphql.extensions import Limits, query_cost
from app.graphql.permissions import IsMaster
from app.kit.errors import AdmiralError, ErrorCode
from app.kit.pagination import check_page_size, decode_cursor
from app.kit.readmodel import RelationKind
from app.kit.requestlog import note_operation

log = logging.getLogger(__name__)

COMPILED = "compiled"
ORDINARY = "ordinary"

_choices: Counter[str] = Counter({COMPILED: 0, ORDINARY: 0})


def count_choice(path: str) -> None:
    _choices[path] += 1


def read_path_counts() -> dict[str, int]:
    """`read_path_choice{path}`: how many GraphQL requests each path answered, this process."""
    return dict(_choices)


MAX_PLANS = 512
_NOT_COMPILABLE = object()


class ReadPath:
    def __init__(
        self, schema: GraphQLSchema, limits: Limits, dialect: str, *, enabled: bool, debug: bool
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.enabled = enabled
        self.debug = debug
        self.json = json_for(dialect)
        self.is_postgres = dialect != "sqlite"
        self.plans: dict[tuple[Any, ...], Any] = {}
        self.prepared: dict[tuple[Any, ...], Prepared] = {}

    async def respond(
        self, request: Request, principal: Principal | None, reader: Reader, request_id: str
    ) -> Response | None:
        if not self.enabled or principal is None or request.method != "POST":
            return None
        try:
            prepared = self._prepare(request, principal)
        except (Uncompilable, AdmiralError, GraphQLError):
            return None
        if prepared is None:
            return None
        plan, operation, variables = prepared
        # The access line and /metrics name the operation (ordinary execution notes it when
        # it parses; this path parsed it itself).
        note_operation(request.scope, operation.name.value if operation.name else None, "query")
        try:
            body = await self._execute(plan, operation, variables, principal, reader, request_id)
        except (Uncompilable, AdmiralError, GraphQLError):
            return None
        except Exception:
            # A failure here is retried by ordinary execution, which reports it its own way.
            log.warning("compiled read path failed; running the ordinary way", exc_info=True)
            return None
        return Response(body, media_type="application/json")

    # ------------------------------------------------------------ planning

    def _prepare(
        self, request: Request, principal: Principal
    ) -> tuple[OperationPlan, OperationDefinitionNode, Any] | None:
        try:
            payload = orjson.loads(getattr(request, "_body", b"") or b"null")
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        query = payload.get("query")
        operation_name = payload.get("operationName")
        given = payload.get("variables")
        if not isinstance(query, str) or not isinstance(operation_name, (str, type(None))):
            return None
        if given is not None and not isinstance(given, dict):
            return None
        if set(payload) - {"query", "operationName", "variables", "extensions"}:
            return None
        document = self.limits.parse(query)
        if self.limits.validate(query):
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        variables = get_variable_values(
            self.schema, operation.variable_definitions or (), given or {}
        )
        if isinstance(variables, list):
            return None
        values: Mapping[str, Any] = variables.coerced
        if query_cost(self.schema, document, operation_name, given) > self.limits.max_cost:
            return None
        shape = tuple(
            (name, value if isinstance(value, bool) else value is None)
            for name, value in sorted(values.items())
        )
        key = (query, operation_name, principal.is_master, shape)
        plan = self.plans.get(key)
        if plan is None:
            try:
                plan = Planner(self.schema, document, operation, values, principal.is_master).plan()
            except Uncompilable:
                plan = _NOT_COMPILABLE
            if len(self.plans) >= MAX_PLANS:
                self.plans.clear()
            self.plans[key] = plan
        if not isinstance(plan, OperationPlan):
            return None
        return plan, operation, variables

    # ------------------------------------------------------------ running

    async def _execute(
        self,
        plan: OperationPlan,
        operation: OperationDefinitionNode,
        variables: Any,
        principal: Principal,
        reader: Reader,
        request_id: str,
    ) -> bytes:
        renderer = Renderer(self.json, principal.row_scope)
        parts: list[bytes] = []
        errors: list[dict[str, Any]] = []
        for index, field in enumerate(plan.fields):
            prefix = ("{" if index == 0 else ",") + f'"{field.key}":'
            if isinstance(field, Typename):
                parts.append(f'{prefix}"{field.name}"'.encode())
                continue
            arguments = get_argument_values(field.field, field.node, variables)
            if isinstance(field, ConnectionPlan):
                text = await self._connection(field, arguments, renderer, reader)
                errors.extend(self._connection_errors(field, text, request_id))
            else:
                text = await self._single(field, arguments, renderer, reader)
                if text != "null" and field.object.has_forbidden:
                    _walk(field.object, orjson.loads(text), [field.key], request_id, errors)
            parts.append(prefix.encode() + text.encode())
        body = b'{"data":' + (b"".join(parts) + b"}" if parts else b"{}")
        if errors:
            body += b',"errors":' + orjson.dumps(errors)
        if self.debug:
            body += b',"extensions":{"readPath":"compiled"}'
        return body + b"}"

    async def _connection(
        self,
        field: ConnectionPlan,
        arguments: dict[str, Any],
        renderer: Renderer,
        reader: Reader,
    ) -> str:
        model = field.root.model
        query = field.root.query(arguments)
        size = check_page_size(query.first)
        ordering = query.ordering or model.default_ordering
        kind = model.cursor_kind(ordering, query.descending)
        cursor = (
            decode_cursor(query.after, kind, model.sort_type(ordering)) if query.after else None
        )
        filters = dict(query.filters)
        statement = renderer.connection(field, filters, ordering, query.descending, size, cursor)
        shape = (
            id(field),
            renderer.scope,
            ordering,
            query.descending,
            cursor is None,
            tuple(name for name, value in sorted(filters.items()) if value is not None),
        )
        found = self._compiled(field, shape, statement, renderer, reader.dialect)
        if found is None:
            return self._finish((await reader.all(statement))[0][0])
        return self._finish((await reader.all_sql(found[0], found[1]))[0][0])

    def _compiled(
        self,
        field: ConnectionPlan,
        shape: tuple[Any, ...],
        statement: Any,
        renderer: Renderer,
        dialect: Dialect,
    ) -> tuple[str, tuple[Any, ...]] | None:
        """The statement's SQL, compiled once per shape (plan, scope, ordering, direction,
        cursor or not, which filters), and this request's parameters for it.

        Per request only the page and the counts are built anew; their cache keys (small)
        give this request's values, which replace the first request's in the compiled
        statement. A shape whose pieces are not structured alike (or whose statement needs
        rendering per call) is executed the ordinary SQLAlchemy way."""
        if not renderer.reused:
            return None
        keys: list[CacheKey] = []
        for piece in renderer.pieces:
            key = piece._generate_cache_key()
            if key is None:
                return None
            keys.append(key)
        prepared = self.prepared.get(shape)
        if (
            prepared is None
            or prepared.plan is not field
            or prepared.structure != tuple(key.key for key in keys)
        ):
            prepared = _prepare_statement(field, statement, keys, dialect)
            if len(self.prepared) >= MAX_PLANS:
                self.prepared.clear()
            self.prepared[shape] = prepared
        if prepared.compiled is None:
            return None
        extracted = [
            keys[source[0]].bindparams[source[1]] if isinstance(source, tuple) else source
            for source in prepared.sources
        ]
        values = prepared.compiled.construct_params(
            extracted_parameters=extracted, escape_names=False
        )
        processors = prepared.processors
        return prepared.sql, tuple(
            processors[name](values[name]) if name in processors else values[name]
            for name in prepared.names
        )

    async def _single(
        self, field: SinglePlan, arguments: dict[str, Any], renderer: Renderer, reader: Reader
    ) -> str:
        key = field.root.key(arguments)
        row = (await reader.all(renderer.single(field, key)))[0]
        return "null" if row[0] is None else self._finish(row[0])

    def _finish(self, text: str) -> str:
        return expand_ids(text) if self.is_postgres else text

    def _connection_errors(
        self, field: ConnectionPlan, text: str, request_id: str
    ) -> list[dict[str, Any]]:
        if not any(_has_forbidden(part) for part in field.parts):
            return []
        # Errors name each refused field's path, which depends on the rows: only then is the
        # JSON decoded, to walk it in the order execution would meet the fields.
        value = orjson.loads(text)
        errors: list[dict[str, Any]] = []
        for part in field.parts:
            if isinstance(part, EdgePlan):
                for index, edge in enumerate(value[part.key]):
                    for edge_part in part.fields:
                        if not isinstance(edge_part, Typename):
                            path = [field.key, part.key, index, edge_part[0]]
                            _walk(edge_part[1], edge[edge_part[0]], path, request_id, errors)
            elif isinstance(part, tuple) and isinstance(part[1], ObjectPlan):
                for index, item in enumerate(value[part[0]]):
                    _walk(part[1], item, [field.key, part[0], index], request_id, errors)
        return errors


@dataclass(frozen=True, slots=True)
class Prepared:
    plan: ConnectionPlan  # (the shape names it by id, which a newer plan may reuse)
    structure: tuple[Any, ...]  # the pieces' cache keys without their values
    compiled: SQLCompiler | None  # None: this shape runs through SQLAlchemy each time
    sql: str = ""
    names: tuple[str, ...] = ()  # the positional parameters' names, in order
    processors: Mapping[str, Any] = dataclass_field(default_factory=dict)
    # Per bound parameter of the statement's cache key: (piece, index) when a piece built per
    # request carries it, else the parameter itself (from the cached part of the statement).
    sources: tuple[tuple[int, int] | BindParameter[Any], ...] = ()


def _prepare_statement(
    plan: ConnectionPlan, statement: Any, keys: list[CacheKey], dialect: Dialect
) -> Prepared:
    structure = tuple(key.key for key in keys)
    full = statement._generate_cache_key()
    if full is None:
        return Prepared(plan, structure, None)
    compiled = dialect.statement_compiler(dialect, statement, cache_key=full)
    if (
        compiled.positiontup is None
        or compiled.literal_execute_params
        or compiled.post_compile_params
    ):
        return Prepared(plan, structure, None)
    where: dict[int, tuple[int, int]] = {}
    for piece, key in enumerate(keys):
        for index, bind in enumerate(key.bindparams):
            where.setdefault(id(bind), (piece, index))
    sources = tuple(where.get(id(bind), bind) for bind in full.bindparams)
    return Prepared(
        plan,
        structure,
        compiled,
        compiled.string,
        tuple(compiled.positiontup),
        dict(compiled._bind_processors),
        sources,
    )


def _has_forbidden(part: Any) -> bool:
    if isinstance(part, EdgePlan):
        return any(
            not isinstance(edge_part, Typename) and edge_part[1].has_forbidden
            for edge_part in part.fields
        )
    return isinstance(part, tuple) and isinstance(part[1], ObjectPlan) and part[1].has_forbidden


def _walk(
    plan: ObjectPlan,
    value: Any,
    path: list[Any],
    request_id: str,
    errors: list[dict[str, Any]],
) -> None:
    for item in plan.fields:
        if isinstance(item, Forbidden):
            error = GraphQLError(
                IsMaster.message,
                nodes=list(item.nodes),
                path=[*path, item.key],
                extensions={"code": ErrorCode.FORBIDDEN.value},
            )
            errors.append(format_error(error, request_id))
        elif isinstance(item, Related) and item.target is not None and item.target.has_forbidden:
            inner = value[item.key]
            if inner is None:
                continue
            if item.kind is RelationKind.ONE:
                _walk(item.target, inner, [*path, item.key], request_id, errors)
            else:
                for index, element in enumerate(inner):
                    _walk(item.target, element, [*path, item.key, index], request_id, errors)


def field_nodes(operation: OperationDefinitionNode) -> list[FieldNode]:
    return [item for item in operation.selection_set.selections if isinstance(item, FieldNode)]
