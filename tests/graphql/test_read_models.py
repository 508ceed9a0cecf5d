"""Every read model agrees with the GraphQL schema, field by field.

The read model is the one description of a type (docs/architecture.md: conventions): its loaders, preloads and
permissions are derived from it, and the compiled read path will read nothing else. If a
column, a relation or a master-only field drifted from the types, that path would show other
data than the ordinary one, or show a session admin master-only data. This walks every
registered model against both the Strawberry types and the printed SDL, so a new domain is
covered without editing it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    build_schema,
    get_named_type,
)
from strawberry.permission import PermissionExtension
from strawberry.types.base import get_object_definition

import app
from app.graphql.model_types import graphql_name
from app.graphql.permissions import IsMaster
from app.graphql.schema import sdl
from app.graphql.type_registry import registered_types
from app.kit.readmodel import ReadModel, RelationKind, registry
from app.kit.scope import EVERYTHING, RowScope


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if not module.name.startswith("app.migrations"):
            importlib.import_module(module.name)


_import_every_module()
SCHEMA = build_schema(sdl())
MODELS = list(registry)


def _object_type(name: str) -> GraphQLObjectType:
    found = SCHEMA.type_map[name]
    assert isinstance(found, GraphQLObjectType), name
    return found


def _sdl_master_only(graphql_type: GraphQLObjectType) -> set[str]:
    return {
        name
        for name, field in graphql_type.fields.items()
        if field.ast_node is not None
        and any(d.name.value == "isMaster" for d in field.ast_node.directives or ())
    }


def _strawberry_master_only(cls: type[Any]) -> set[str]:
    guarded = set()
    for field in get_object_definition(cls, strict=True).fields:
        for extension in field.extensions:
            if isinstance(extension, PermissionExtension) and any(
                isinstance(permission, IsMaster) for permission in extension.permissions
            ):
                guarded.add(graphql_name(field))
    return guarded


def _unwrap_list(field: GraphQLField) -> Any:
    return field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type


def test_there_are_models_to_walk() -> None:
    # A floor, not the list.
    assert {"User", "Customer", "Membership", "Plan", "AuditEvent", "Session"} <= {
        model.name for model in MODELS
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_every_model_has_its_type(model: ReadModel) -> None:
    cls = registered_types()[model.name]
    assert cls.read_model is model
    assert get_object_definition(cls, strict=True).name == model.name
    assert model.name in SCHEMA.type_map


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_the_type_has_exactly_the_described_fields(model: ReadModel) -> None:
    described = {"id", *model.fields, *(r.field for r in model.relations), *model.resolved}
    assert set(_object_type(model.name).fields) == described
    overlap = set(model.fields) & {r.field for r in model.relations}
    assert not overlap, f"{model.name}: {overlap} is both a field and a relation"
    assert not model.resolved & set(model.fields), "a resolved field has no source"


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_every_source_reads_an_existing_column(model: ReadModel) -> None:
    # Building the select resolves every column name and expression of the description.
    selected = {column.key for column in model.columns()}
    for relation in model.relations:
        assert relation.local_key in model.table.c, f"{model.name}.{relation.local_key}"
        target = registry[relation.target]
        assert relation.remote_key in target.table.c, f"{target.name}.{relation.remote_key}"
        assert relation.local_key in selected
    for name in model.filters:
        assert name.isidentifier()
    assert model.default_ordering in model.orderings


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_relations_return_their_target(model: ReadModel) -> None:
    graphql_type = _object_type(model.name)
    for relation in model.relations:
        field = graphql_type.fields[relation.field]
        named = get_named_type(field.type)
        if relation.kind is RelationKind.ONE:
            assert named.name == relation.target, relation.field
        elif relation.kind is RelationKind.LIST:
            assert isinstance(_unwrap_list(field), GraphQLList), relation.field
            assert named.name == relation.target, relation.field
        elif relation.kind is RelationKind.CONNECTION:
            assert named.name == f"{relation.target}Connection", relation.field
            for argument in relation.arguments:
                assert any(
                    name.replace("_", "").lower() == argument.replace("_", "").lower()
                    for name in field.args
                ), f"{relation.field} takes no argument for the filter {argument}"
                assert argument in registry[relation.target].filters
        else:
            assert named.name == "Int", relation.field


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_master_only_fields_agree_everywhere(model: ReadModel) -> None:
    graphql_type = _object_type(model.name)
    cls = registered_types()[model.name]
    assert _strawberry_master_only(cls) == set(model.master_only)
    assert _sdl_master_only(graphql_type) == set(model.master_only)
    for name in model.master_only:
        # A refused field answers null (plus FORBIDDEN): it must be nullable.
        assert not isinstance(graphql_type.fields[name].type, GraphQLNonNull), name


@pytest.mark.parametrize("scope", [EVERYTHING, RowScope(frozenset())], ids=["master", "session"])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_every_model_compiles_its_reads(model: ReadModel, scope: RowScope) -> None:
    """Each statement the loaders and pages use can be built for both kinds of caller."""
    import uuid

    key = uuid.uuid4()
    model.by_keys_statement("id", [key], scope).compile()
    model.count_statement(scope).compile()
    for ordering in model.orderings:
        model.page_statement(scope, None, ordering, True, 10, None).compile()
    for relation in model.relations:
        target = registry[relation.target]
        target.first_pages_statement(relation.remote_key, [key], scope, 5).compile()
