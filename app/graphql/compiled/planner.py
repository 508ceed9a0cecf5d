"""From a validated read operation to a plan: what each root field selects, for a scope kind.

The plan follows the document the way execution does: fields collected with their aliases,
fragments and `@skip`/`@include`, merged by response key, in document order. Field
permissions are decided here: for a caller who is not a master, a master-only field becomes a
`Forbidden` entry (null plus the FORBIDDEN error ordinary execution gives). Anything the plan
cannot express exactly raises `Uncompilable`, and the operation runs the ordinary way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from app.graphql.compiled import declare
from app.kit.readmodel import Computed, PublicId, ReadModel, RelationKind, registry
from app.models.base import UTCDateTime


class Uncompilable(Exception):
    """The operation (or this part of it) runs the ordinary way."""


SCALAR_KINDS = {"String": "string", "ID": "string", "Int": "int", "Boolean": "bool"}


@dataclass(frozen=True, slots=True)
class Typename:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Scalar:
    """A value of the row: `kind` is string, int, bool, datetime or id (`prefix` set)."""

    key: str
    field: str
    kind: str
    source: str | Computed | None  # None: the row's own id
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class Forbidden:
    key: str
    nodes: tuple[FieldNode, ...]


@dataclass(frozen=True, slots=True)
class Related:
    key: str
    field: str
    kind: RelationKind
    target: ObjectPlan | None  # None for a COUNT


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    type_name: str
    model: ReadModel
    fields: tuple[Typename | Scalar | Forbidden | Related, ...]

    @property
    def has_forbidden(self) -> bool:
        return any(
            isinstance(item, Forbidden)
            or (isinstance(item, Related) and item.target is not None and item.target.has_forbidden)
            for item in self.fields
        )


@dataclass(frozen=True, slots=True)
class EdgePlan:
    """An `edges` selection: per edge its `node` keys (and `__typename`), in order."""

    key: str
    fields: tuple[Typename | tuple[str, ObjectPlan], ...]


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    key: str
    root: declare.ConnectionRoot
    node: FieldNode
    field: GraphQLField
    parts: tuple[Typename | EdgePlan | tuple[str, str] | tuple[str, ObjectPlan], ...]
    # ("totalCount" key, "totalCount") or (nodes key, ObjectPlan)


@dataclass(frozen=True, slots=True)
class SinglePlan:
    key: str
    root: declare.ObjectRoot
    node: FieldNode
    field: GraphQLField
    object: ObjectPlan


@dataclass(frozen=True, slots=True)
class OperationPlan:
    fields: tuple[ConnectionPlan | SinglePlan | Typename, ...]


def _included(
    selection: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: Mapping[str, Any]
) -> bool:
    for directive in selection.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            raise Uncompilable(f"directive @{name}")
        value_node = directive.arguments[0].value if directive.arguments else None
        value: Any = None
        if isinstance(value_node, BooleanValueNode):
            value = value_node.value
        elif isinstance(value_node, VariableNode):
            value = variables.get(value_node.name.value)
        if not isinstance(value, bool):
            raise Uncompilable("directive condition")
        if (name == "skip") == value:
            return False
    return True


class Planner:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        is_master: bool,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.is_master = is_master
        self.fragments = {
            item.name.value: item
            for item in document.definitions
            if isinstance(item, FragmentDefinitionNode)
        }
        self.operation = operation

    def plan(self) -> OperationPlan:
        if self.operation.operation is not OperationType.QUERY:
            raise Uncompilable("not a query")
        query_type = self.schema.query_type
        assert query_type is not None
        fields: list[ConnectionPlan | SinglePlan | Typename] = []
        for key, nodes in self._collect(self.operation.selection_set, query_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                fields.append(Typename(key, query_type.name))
                continue
            declared = declare.root(name)
            if declared is None:
                raise Uncompilable(f"root field {name}")
            definition = query_type.fields[name]
            if len(nodes) > 1:
                raise Uncompilable("a root field selected twice under one key")
            if isinstance(declared, declare.ConnectionRoot):
                fields.append(self._connection(key, nodes[0], definition, declared))
            else:
                named = get_named_type(definition.type)
                assert isinstance(named, GraphQLObjectType)
                target = self._object(named, declared.model, nodes, 0, forbid_ok=True)
                fields.append(SinglePlan(key, declared, nodes[0], definition, target))
        return OperationPlan(tuple(fields))

    # ------------------------------------------------------------ selections

    def _collect(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLObjectType,
        into: dict[str, list[FieldNode]] | None = None,
    ) -> dict[str, list[FieldNode]]:
        found: dict[str, list[FieldNode]] = {} if into is None else into
        for selection in selection_set.selections:
            if not _included(selection, self.variables):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, parent):
                    self._collect(selection.selection_set, parent, found)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise Uncompilable("unknown fragment")
                if self._applies(fragment.type_condition.name.value, parent):
                    self._collect(fragment.selection_set, parent, found)
        return found

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        if condition == parent.name:
            return True
        named = self.schema.get_type(condition)
        if named is None:
            raise Uncompilable("unknown type condition")
        if isinstance(named, GraphQLObjectType):
            return False
        return self.schema.is_sub_type(named, parent)  # type: ignore[arg-type]

    def _subfields(
        self, nodes: Sequence[FieldNode], parent: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        found: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self._collect(node.selection_set, parent, found)
        return found

    # ------------------------------------------------------------ shapes

    def _connection(
        self,
        key: str,
        node: FieldNode,
        definition: GraphQLField,
        declared: declare.ConnectionRoot,
    ) -> ConnectionPlan:
        connection = get_named_type(definition.type)
        assert isinstance(connection, GraphQLObjectType)
        parts: list[Any] = []
        for part_key, nodes in self._subfields([node], connection).items():
            name = nodes[0].name.value
            if name == "__typename":
                parts.append(Typename(part_key, connection.name))
            elif name == "totalCount":
                parts.append((part_key, "totalCount"))
            elif name == "nodes":
                target = _list_item_type(connection.fields[name])
                parts.append((part_key, self._object(target, declared.model, nodes, 0, True)))
            elif name == "edges":
                edge = _list_item_type(connection.fields[name])
                edge_parts: list[Any] = []
                for edge_key, edge_nodes in self._subfields(nodes, edge).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "__typename":
                        edge_parts.append(Typename(edge_key, edge.name))
                    elif edge_name == "node":
                        target = get_named_type(edge.fields["node"].type)
                        assert isinstance(target, GraphQLObjectType)
                        edge_parts.append(
                            (edge_key, self._object(target, declared.model, edge_nodes, 0, True))
                        )
                    else:
                        raise Uncompilable(f"edge field {edge_name}")
                parts.append(EdgePlan(part_key, tuple(edge_parts)))
            else:
                raise Uncompilable(f"connection field {name}")
        return ConnectionPlan(key, declared, node, definition, tuple(parts))

    def _object(
        self,
        graphql_type: GraphQLObjectType,
        model: ReadModel,
        nodes: Sequence[FieldNode],
        depth: int,
        forbid_ok: bool,
        tables: frozenset[str] = frozenset(),
    ) -> ObjectPlan:
        declared = declare.type_fields(graphql_type.name)
        if declared is None:
            raise Uncompilable(f"type {graphql_type.name}")
        if model.table.name in tables:
            # A table met again below itself would need aliases to correlate correctly.
            raise Uncompilable("a table nested in itself")
        tables = tables | {model.table.name}
        fields: list[Typename | Scalar | Forbidden | Related] = []
        for key, field_nodes in self._subfields(nodes, graphql_type).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                fields.append(Typename(key, graphql_type.name))
                continue
            if name not in declared:
                raise Uncompilable(f"{graphql_type.name}.{name}")
            definition = graphql_type.fields[name]
            if definition.args or any(node.arguments for node in field_nodes):
                raise Uncompilable("field arguments")
            if name in model.master_only and not self.is_master:
                fields.append(Forbidden(key, tuple(field_nodes)))
                continue
            if name == "id":
                fields.append(Scalar(key, name, "id", None, model.prefix))
                continue
            relation = model.relation_or_none(name)
            if relation is not None:
                if relation.kind is RelationKind.CONNECTION:
                    raise Uncompilable("nested connection")
                if relation.kind is RelationKind.COUNT:
                    if get_named_type(definition.type).name != "Int":
                        raise Uncompilable("count type")
                    fields.append(Related(key, name, relation.kind, None))
                    continue
                target_type = get_named_type(definition.type)
                if not isinstance(target_type, GraphQLObjectType):
                    raise Uncompilable("relation type")
                target = self._object(
                    target_type,
                    registry[relation.target],
                    field_nodes,
                    depth + 1,
                    forbid_ok=False,
                    tables=tables,
                )
                fields.append(Related(key, name, relation.kind, target))
                continue
            fields.append(self._scalar(key, name, definition, model))
        return ObjectPlan(graphql_type.name, model, tuple(fields))

    def _scalar(self, key: str, name: str, definition: GraphQLField, model: ReadModel) -> Scalar:
        source = model.fields.get(name)
        named = get_named_type(definition.type)
        unwrapped = definition.type
        if isinstance(unwrapped, GraphQLNonNull):
            unwrapped = unwrapped.of_type
        if isinstance(unwrapped, GraphQLList):
            raise Uncompilable("list of scalars")
        if isinstance(source, PublicId):
            if named.name != "ID" and named.name != "String":
                raise Uncompilable("public id type")
            return Scalar(key, name, "id", source.column, source.prefix)
        if not isinstance(source, (str, Computed)):
            raise Uncompilable(f"source of {name}")
        if isinstance(named, GraphQLEnumType):
            # Enums read as their member names; stored values must be those names.
            if any(
                item.value != value_name and getattr(item.value, "value", None) != value_name
                for value_name, item in named.values.items()
            ):
                raise Uncompilable("enum values differ from names")
            return Scalar(key, name, "string", source)
        if named.name == "DateTime":
            if not isinstance(source, str) or not isinstance(
                model.table.c[source].type, UTCDateTime
            ):
                raise Uncompilable("datetime source")
            return Scalar(key, name, "datetime", source)
        kind = SCALAR_KINDS.get(named.name)
        if kind is None:
            raise Uncompilable(f"scalar {named.name}")
        return Scalar(key, name, kind, source)


def _list_item_type(definition: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(definition.type)
    if not isinstance(named, GraphQLObjectType):
        raise Uncompilable("list item type")
    return named
