"""Staff-only data and master-only fields, for every read model (docs/architecture.md: scopes).

Nothing here lists the models or fields by hand: the read models come from
`app.kit.readmodel.registry` (every model whose scope is `staff_only`, every field named in a
model's `master_only`), their rows are written from the table definitions, and the GraphQL
documents that could reach them are derived from the schema. A new staff-only model, or a new
field returning one, is covered without editing this file.

Both layers are checked: the row scope itself (every statement a read model builds, with a
session admin's scope, returns nothing) and what a caller gets through the API (`node(id:)`,
root lists, nested fields: the rows never appear; master-only fields are null with FORBIDDEN).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    build_schema,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)

import app
from app.db import Database
from app.graphql.schema import sdl
from app.kit import clock
from app.kit.ids import encode, uuid7
from app.kit.readmodel import ReadModel, registry, staff_only
from app.kit.scope import EVERYTHING, NOTHING, RowScope
from app.models.base import UTCDateTime
from tests.helpers import GraphQL, World
from tests.support import record_event, rows


def import_every_module() -> None:
    """Read models register themselves when their module is imported: import them all."""
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if not module.name.startswith("app.migrations"):
            importlib.import_module(module.name)


import_every_module()
SCHEMA: GraphQLSchema = build_schema(sdl())
STAFF_ONLY = [model for model in registry if model.scope is staff_only]
MASTER_ONLY = [(model, field) for model in registry for field in sorted(model.master_only)]
SESSION_CALLERS = ("owner", "admin", "read_only")


def test_the_registry_is_what_this_file_walks() -> None:
    # A floor, not the list: these exist today, and more are covered as they come.
    names = {model.name for model in STAFF_ONLY}
    assert {"UserNote", "Feedback", "MasterKey", "CustomerNote"} <= names
    assert {"User", "Customer", "AuditEvent"} <= {model.name for model, _ in MASTER_ONLY}


@pytest.mark.parametrize("model", list(registry), ids=lambda model: model.name)
def test_master_only_fields_are_the_ones_the_schema_guards(model: ReadModel) -> None:
    type_ = SCHEMA.get_type(model.name)
    assert isinstance(type_, GraphQLObjectType), model.name
    guarded = {name for name, field in type_.fields.items() if "isMaster" in directives(field)}
    assert guarded == set(model.master_only)


# ---------------------------------------------------------------- rows from table definitions


def directives(field: GraphQLField) -> set[str]:
    node = field.ast_node
    return {directive.name.value for directive in ((node.directives if node else None) or ())}


@dataclass
class Rows:
    """Rows written for these tests; rows of other tables they point at, by table name."""

    db: Database
    parents: dict[str, uuid.UUID]

    async def insert(self, table: sa.Table) -> dict[str, Any]:
        values = {column.name: await self.value(column) for column in table.columns}
        # A table whose check constraints the generic values break declares values that pass.
        values.update(table.info.get("example", {}))
        async with self.db.write_engine.begin() as connection:
            await connection.execute(sa.insert(table).values(**values))
        return values

    async def value(self, column: sa.Column[Any]) -> Any:
        if column.primary_key:
            return uuid7()
        if column.foreign_keys:
            # A nullable link stays empty unless the table asks for it (the one a nested
            # field reads, such as a project's signing keys).
            if column.nullable and column.name not in column.table.info.get("example_links", ()):
                return None
            target = next(iter(column.foreign_keys)).column.table
            if target.name not in self.parents:
                self.parents[target.name] = (await self.insert(target))["id"]
            return self.parents[target.name]
        if column.nullable:
            return None
        kind = column.type
        if isinstance(kind, sa.Enum) and kind.enum_class is not None:
            return next(iter(kind.enum_class))
        if isinstance(kind, UTCDateTime):
            # Open-ended rows: whatever expires does so tomorrow (sessions stay live).
            return clock.now() + (timedelta(days=1) if "expire" in column.name else timedelta())
        if isinstance(kind, sa.Boolean):
            return False
        if isinstance(kind, sa.Integer):
            return 1
        if isinstance(kind, sa.Float):
            return 1.0
        if isinstance(kind, sa.Uuid):
            return uuid7()
        if isinstance(kind, sa.String):
            return uuid.uuid4().hex[: kind.length or 32]
        if isinstance(kind, sa.JSON):
            return {}
        raise AssertionError(f"no value for {column.table.name}.{column.name} ({kind!r})")


@dataclass
class Written:
    model: ReadModel
    row: dict[str, Any]

    @property
    def public_id(self) -> str:
        return encode(self.model.prefix, self.row["id"])


@pytest.fixture
def written(world: World, db: Database) -> Callable[[ReadModel], Any]:
    """A row of a model, linked to rows a session admin of own-co can see: another member
    (not the caller: a user may see their own session), own-co, the world's plan."""
    users = registry["User"].table.name
    customers = registry["Customer"].table.name
    plans = registry["Plan"].table.name
    parents = {users: world.member.id, customers: world.own.id, plans: world.plan.id}

    async def write(model: ReadModel) -> Written:
        return Written(model, await Rows(db, dict(parents)).insert(model.table))

    return write


def tokens(world: World) -> dict[str, str]:
    return {
        "owner": world.owner_token,
        "admin": world.admin_token,
        "read_only": world.read_only_token,
        "master": world.master,
    }


# ---------------------------------------------------------------- the row scope itself


def statements(model: ReadModel, row: dict[str, Any]) -> dict[str, Callable[[RowScope], Any]]:
    """Every read the model builds that could return `row`: pages, counts, batched loads by
    id and by each of its foreign keys (what nested lists and loaders use)."""
    found: dict[str, Callable[[RowScope], Any]] = {
        "page": lambda scope: model.page_statement(
            scope, None, model.default_ordering, True, 50, None
        ),
        "count": lambda scope: model.count_statement(scope),
        "by_id": lambda scope: model.by_keys_statement("id", [row["id"]], scope),
    }
    for column in model.table.columns:
        key = row[column.name]
        if not column.foreign_keys or key is None:
            continue
        name = column.name
        found[f"by_{name}"] = lambda scope, n=name, k=key: model.by_keys_statement(n, [k], scope)
        found[f"count_by_{name}"] = lambda scope, n=name, k=key: model.count_by_keys_statement(
            n, [k], scope
        )
        found[f"first_pages_by_{name}"] = lambda scope, n=name, k=key: model.first_pages_statement(
            n, [k], scope, 10
        )
    return found


@pytest.mark.parametrize("model", STAFF_ONLY, ids=lambda model: model.name)
async def test_every_read_of_a_staff_only_model_is_empty_in_a_session_scope(
    model: ReadModel, world: World, db: Database, written: Callable[[ReadModel], Any]
) -> None:
    made = await written(model)
    own_customers = RowScope(frozenset({world.own.id, world.other.id}))
    for name, build in statements(model, made.row).items():
        for scope in (own_customers, NOTHING):
            found = await rows(db, build(scope))
            if name == "count":
                assert found[0][0] == 0, name
            else:
                assert found == [], name
        everything = await rows(db, build(EVERYTHING))
        if name == "count":
            assert everything[0][0] >= 1, name
        elif name.startswith("count_by_"):
            [(key, count)] = everything
            assert (key, count >= 1) == (made.row[name.removeprefix("count_by_")], True), name
        else:
            assert made.row["id"] in {r.id for r in everything}, name


# ---------------------------------------------------------------- through the API


@dataclass(frozen=True)
class Reach:
    """A field of the schema whose value holds rows of a model, and how to query it."""

    parent: str
    field: str
    definition: GraphQLField

    @property
    def label(self) -> str:
        return f"{self.parent}.{self.field}"

    @property
    def master_only(self) -> bool:
        return "isMaster" in directives(self.definition)


def element(type_: Any) -> GraphQLNamedType:
    """The type of the objects a field holds: a connection's node type, a list's items."""
    named = get_named_type(type_)
    if is_object_type(named) and named.name.endswith("Connection") and "nodes" in named.fields:
        return get_named_type(named.fields["nodes"].type)
    return named


def selection(type_: Any) -> str:
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    assert is_object_type(named)
    if named.name.endswith("Connection") and "nodes" in named.fields:
        return "{ totalCount nodes { id } }"
    return "{ id }" if "id" in named.fields else "{ __typename }"


def arguments(
    definition: GraphQLField, ids: dict[str, str], row: dict[str, Any] | None = None
) -> str:
    """Required arguments filled in: an `ID!` gets the id of the row concerned, an argument
    named after one of its columns (`coupon(code:)`) that column's value."""
    given = []
    for name, argument in definition.args.items():
        if not is_non_null_type(argument.type) or argument.default_value is not Undefined:
            continue
        if get_named_type(argument.type).name == "ID":
            given.append(f"{name}: {json.dumps(ids['row'])}")
            continue
        assert row is not None, f"cannot fill {name}"
        assert name in row, f"cannot fill {name}"
        given.append(f"{name}: {json.dumps(row[name])}")
    return f"({', '.join(given)})" if given else ""


def reaches(model_name: str) -> list[Reach]:
    """Every field outside the model's own connection types that returns the model."""
    found = []
    for type_ in SCHEMA.type_map.values():
        if not is_object_type(type_) or type_.name.startswith("__"):
            continue
        if type_.name in (f"{model_name}Connection", f"{model_name}Edge", "Mutation"):
            continue
        if type_.name.endswith("Payload"):
            continue  # what a mutation returns about its own work
        for name, definition in type_.fields.items():
            if element(definition.type).name == model_name:
                found.append(Reach(type_.name, name, definition))
    return found


def document(reach: Reach, model: ReadModel, made: Written) -> tuple[str, dict[str, Any]]:
    """A query reaching `reach` from a root field, with its variables."""
    args = arguments(reach.definition, {"row": made.public_id}, made.row)
    inner = f"{reach.field}{args} {selection(reach.definition.type)}"
    if reach.parent == "Query":
        return f"{{ {inner} }}", {}
    if reach.parent == "Me":
        return f"{{ me {{ {inner} }} }}", {}
    parent = registry[reach.parent]
    links = [
        column.name
        for column in model.table.columns
        if any(fk.column.table is parent.table for fk in column.foreign_keys)
        and made.row[column.name] is not None
    ]
    assert links, f"no row of {model.name} links to a {reach.parent}: how is {reach.label} read?"
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on {reach.parent} {{ {inner} }} }} }}"
    return query, {"id": encode(parent.prefix, made.row[links[0]])}


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


@pytest.mark.parametrize("caller", SESSION_CALLERS)
@pytest.mark.parametrize("model", STAFF_ONLY, ids=lambda model: model.name)
async def test_a_session_admin_reaches_no_staff_only_row(
    gql: GraphQL,
    world: World,
    written: Callable[[ReadModel], Any],
    model: ReadModel,
    caller: str,
) -> None:
    made = await written(model)
    token = tokens(world)[caller]
    assert await gql.ok(NODE, {"id": made.public_id}, token=token) == {"node": None}
    for reach in reaches(model.name):
        query, variables = document(reach, model, made)
        response = await gql(query, variables, token=token)
        assert response.status == 200, (reach.label, response.body)
        assert made.public_id not in json.dumps(response.body), reach.label
        if reach.master_only:
            assert response.codes == ["FORBIDDEN"], reach.label
            assert response.errors[0]["path"][-1] == reach.field, reach.label
        else:
            assert response.errors == [], reach.label


@pytest.mark.parametrize("model", STAFF_ONLY, ids=lambda model: model.name)
async def test_a_master_reaches_every_staff_only_row(
    gql: GraphQL, world: World, written: Callable[[ReadModel], Any], model: ReadModel
) -> None:
    made = await written(model)
    found = await gql.ok(NODE, {"id": made.public_id}, token=world.master)
    assert found == {"node": {"__typename": model.name, "id": made.public_id}}
    assert reaches(model.name), f"{model.name} is readable through node(id:) alone"
    for reach in reaches(model.name):
        query, variables = document(reach, model, made)
        if reach.parent == "Me":
            # About the caller, not about the rows written here: set for one of the two master
            # callers (a master key has no session, a staff session no master key).
            answers = [
                (await gql.ok(query, variables, token=token))["me"][reach.field]
                for token in (world.master, world.staff_token)
            ]
            assert any(answer is not None for answer in answers), reach.label
            continue
        data = await gql.ok(query, variables, token=world.master)
        assert made.public_id in json.dumps(data), reach.label


# ---------------------------------------------------------------- master-only fields


async def visible_row(model: ReadModel, world: World, db: Database) -> str:
    """The public id of a row of `model` that a session admin of own-co may read."""
    if model.name == "AuditEvent":
        await record_event(db, "customer.touch", customer_id=world.own.id)
    if model.name == "Invoice":
        from tests.billing.invoice_support import draft

        await draft(db, world.own)
    if model.name == "Project":
        from tests.customers import support as customers

        await customers.project(db, world.own)
    scope = RowScope(frozenset({world.own.id}))
    found = await rows(db, model.page_statement(scope, None, model.default_ordering, True, 1, None))
    assert found, f"no row of {model.name} visible to own-co: add one here"
    return encode(model.prefix, found[0].id)


@pytest.mark.parametrize("caller", [*SESSION_CALLERS, "master"])
@pytest.mark.parametrize(
    ("model", "field"), MASTER_ONLY, ids=[f"{m.name}.{f}" for m, f in MASTER_ONLY]
)
async def test_a_master_only_field_is_null_and_forbidden_below_master(
    gql: GraphQL, world: World, db: Database, model: ReadModel, field: str, caller: str
) -> None:
    type_ = SCHEMA.get_type(model.name)
    assert isinstance(type_, GraphQLObjectType)
    definition = type_.fields[field]
    object_id = await visible_row(model, world, db)
    inner = f"{field}{arguments(definition, {'row': object_id})} {selection(definition.type)}"
    query = f"query($id: ID!) {{ node(id: $id) {{ id ... on {model.name} {{ {inner} }} }} }}"
    response = await gql(query, {"id": object_id}, token=tokens(world)[caller])
    assert response.status == 200, response.body
    assert response.data["node"]["id"] == object_id  # the object itself is visible
    if caller == "master":
        assert response.errors == []
        assert field in response.data["node"]
    else:
        assert response.codes == ["FORBIDDEN"]
        assert response.errors[0]["path"] == ["node", field]
        assert response.data["node"][field] is None
