"""Request protection: who may run what, how big and how costly it may be.

One schema extension does it all, in the order the checks are cheapest:
parse (cached, token limit) → anonymous gate → validation (cached, depth and alias limits)
→ cost (depends on variables, so computed per request).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from functools import lru_cache
from typing import Any

from graphql import (
    DirectiveLocation,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    VariableNode,
    Visitor,
    get_named_type,
    get_operation_ast,
    parse,
    specified_rules,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from app.kit.errors import ErrorCode
from app.kit.pagination import DEFAULT_PAGE_SIZE
from app.kit.requestlog import note_operation
from app.kit.validation import NUL, NUL_REFUSED
from app.settings import Settings

# Operations an anonymous caller may run: logging in, and nothing else.
ANONYMOUS_FIELDS = frozenset({"sessionCreate", "__typename"})
# A plain list (not a connection) is assumed to hold this many items when costing a query.
LIST_COST_FACTOR = 10


def error(message: str, code: ErrorCode) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.value})


class Limits:
    """Parsing and validation for one schema and one set of limits, both cached by query text."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.max_tokens = settings.max_tokens
        self.max_cost = settings.max_query_cost
        self.max_directives = directives_per_location(schema)
        self.rules = (
            *specified_rules,
            depth_rule(settings.max_query_depth, None, None),
            max_aliases_rule(settings.max_aliases),
            NoNulCharacter,
        )
        self.parse = lru_cache(maxsize=1024)(self._parse)
        self.validate = lru_cache(maxsize=1024)(self._validate)

    def _parse(self, query: str) -> DocumentNode:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError as exc:
            code = (
                ErrorCode.QUERY_TOO_COMPLEX
                if "tokens" in exc.message
                else ErrorCode.GRAPHQL_PARSE_FAILED
            )
            raise GraphQLError(exc.message, extensions={"code": code.value}) from None
        # Before validation, which would report (and so process) every directive one by one.
        counter = _MostDirectives()
        visit(document, counter)
        if counter.most > self.max_directives:
            raise error(
                f"{counter.most} directives on one selection; at most {self.max_directives} "
                "(each directive once).",
                ErrorCode.QUERY_TOO_COMPLEX,
            )
        return document

    def _validate(self, query: str) -> tuple[GraphQLError, ...]:
        errors = validate_document(self.schema, self.parse(query), self.rules)
        return tuple(_with_code(item) for item in errors)


def directives_per_location(schema: GraphQLSchema) -> int:
    """How many directives one place of an operation can legitimately carry: each of the
    schema's executable directives once (a repeatable one counts for a few)."""
    executable = {
        DirectiveLocation.QUERY,
        DirectiveLocation.MUTATION,
        DirectiveLocation.SUBSCRIPTION,
        DirectiveLocation.FIELD,
        DirectiveLocation.FRAGMENT_DEFINITION,
        DirectiveLocation.FRAGMENT_SPREAD,
        DirectiveLocation.INLINE_FRAGMENT,
        DirectiveLocation.VARIABLE_DEFINITION,
    }
    return sum(
        (4 if directive.is_repeatable else 1)
        for directive in schema.directives
        if executable.intersection(directive.locations)
    )


class _MostDirectives(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.most = 0

    def enter(self, node: Any, *_: object) -> None:
        directives = getattr(node, "directives", None)
        if directives:
            self.most = max(self.most, len(directives))


class NoNulCharacter(ValidationRule):
    """String literals of the document (`"\\u0000"` escapes) follow the rule variables follow
    when their JSON is decoded: no NUL character."""

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if NUL in node.value:
            self.report_error(GraphQLError(NUL_REFUSED, node))


def _with_code(item: GraphQLError) -> GraphQLError:
    limit_hit = any(
        hint in item.message
        for hint in ("exceeds maximum operation depth", "aliases", "introspection depth")
    )
    code = ErrorCode.QUERY_TOO_COMPLEX if limit_hit else ErrorCode.GRAPHQL_VALIDATION_FAILED
    return GraphQLError(item.message, nodes=item.nodes, extensions={"code": code.value})


def anonymous_allowed(document: DocumentNode, operation_name: str | None) -> bool:
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.MUTATION:
        return False
    return all(
        isinstance(selection, FieldNode) and selection.name.value in ANONYMOUS_FIELDS
        for selection in operation.selection_set.selections
    )


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """Fields selected, where a connection multiplies its selection by `first`."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        item.name.value: item
        for item in document.definitions
        if isinstance(item, FragmentDefinitionNode)
    }
    return _selection_cost(schema, operation.selection_set, root, fragments, variables or {}, 0)


def _selection_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: Any,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    depth: int,
) -> int:
    if depth > 64:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields = getattr(parent, "fields", {})
            definition = fields.get(selection.name.value)
            if definition is None:
                total += 1
                continue
            named = get_named_type(definition.type)
            inner = 0
            if selection.selection_set is not None:
                inner = _selection_cost(
                    schema, selection.selection_set, named, fragments, variables, depth + 1
                )
            total += 1 + _multiplier(selection, definition, named, parent, variables) * inner
        elif isinstance(selection, InlineFragmentNode):
            condition = (
                schema.get_type(selection.type_condition.name.value)
                if selection.type_condition
                else parent
            )
            total += _selection_cost(
                schema, selection.selection_set, condition, fragments, variables, depth + 1
            )
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                condition = schema.get_type(fragment.type_condition.name.value)
                total += _selection_cost(
                    schema, fragment.selection_set, condition, fragments, variables, depth + 1
                )
    return total


def _multiplier(
    selection: FieldNode,
    definition: Any,
    named: Any,
    parent: Any,
    variables: Mapping[str, Any],
) -> int:
    field_type = definition.type
    if _is_connection(named):
        for argument in selection.arguments or ():
            if argument.name.value == "first":
                value = argument.value
                if isinstance(value, IntValueNode):
                    return max(int(value.value), 1)
                if isinstance(value, VariableNode):
                    given = variables.get(value.name.value)
                    if isinstance(given, int):
                        return max(given, 1)
        declared = definition.args.get("first")
        default = declared.default_value if declared is not None else None
        # A field's own default page size (`notes` shows 10) when it has one.
        return default if isinstance(default, int) and default > 0 else DEFAULT_PAGE_SIZE
    if _is_connection(parent):
        # A connection's `edges` and `nodes` hold its page: `first` above already counted them.
        return 1
    unwrapped = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    return LIST_COST_FACTOR if isinstance(unwrapped, GraphQLList) else 1


def observe_operation(
    scope: MutableMapping[str, Any], document: DocumentNode, operation_name: str | None
) -> None:
    """Tell the access log and the metrics which operation this is (`app/kit/requestlog.py`)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        note_operation(scope, operation_name, None)
        return
    name = operation.name.value if operation.name is not None else None
    note_operation(scope, name, operation.operation.value)


def _is_connection(named: Any) -> bool:
    return isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")


class RequestGuard(SchemaExtension):
    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = self.limits.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        query = context.query
        assert document is not None
        assert query is not None
        principal = context.context.principal
        observe_operation(context.context.request.scope, document, context.operation_name)
        if principal is None and not anonymous_allowed(document, context.operation_name):
            context.pre_execution_errors = [
                error(
                    "Authentication required: send `Authorization: Bearer <token>`.",
                    ErrorCode.UNAUTHENTICATED,
                )
            ]
            yield
            return
        errors = list(self.limits.validate(query))
        if not errors:
            cost = query_cost(
                self.limits.schema, document, context.operation_name, context.variables
            )
            if cost > self.limits.max_cost:
                errors.append(
                    error(
                        f"Query cost {cost} exceeds the limit of {self.limits.max_cost}; "
                        "ask for fewer items (`first`) or fewer nested lists.",
                        ErrorCode.QUERY_TOO_COMPLEX,
                    )
                )
        context.pre_execution_errors = errors
        yield
