"""Every mutation's `input` is a required argument: left out, it is a validation error.

The list of mutations comes from the schema, so a new one is covered without editing this file.
"""

from __future__ import annotations

from graphql import (
    GraphQLNonNull,
    GraphQLSchema,
    Undefined,
    build_client_schema,
    get_introspection_query,
)

from app.db import Database
from app.graphql.schema import build_schema
from app.settings import Settings
from tests.helpers import GraphQL, World
from tests.support import counts

SCHEMA: GraphQLSchema = build_schema(Settings())._schema
MUTATION = SCHEMA.mutation_type
assert MUTATION is not None
WITH_INPUT = sorted(name for name, field in MUTATION.fields.items() if "input" in field.args)


def test_every_input_argument_is_non_null_without_a_default() -> None:
    assert len(WITH_INPUT) >= 25
    sdl = build_schema(Settings()).as_str()
    for name in WITH_INPUT:
        argument = MUTATION.fields[name].args["input"]
        assert isinstance(argument.type, GraphQLNonNull), name
        assert argument.default_value is Undefined, name
        assert f"{name}(input: {argument.type}, " in sdl


async def test_every_mutation_without_its_input_is_a_validation_error(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await counts(db)
    for name in WITH_INPUT:
        response = await gql(
            f"mutation {{ {name} {{ userErrors {{ code }} }} }}", token=world.master
        )

        assert response.status == 200, (name, response.body)
        assert response.data is None, name
        assert response.codes == ["GRAPHQL_VALIDATION_FAILED"], (name, response.errors)
        assert "is required" in response.errors[0]["message"], name
    assert await counts(db) == before


async def test_a_null_input_is_a_validation_error(gql: GraphQL, world: World) -> None:
    response = await gql(
        "mutation($i: MasterKeyCreateInput) { masterKeyCreate(input: $i) { key } }",
        {"i": None},
        token=world.master,
    )

    assert response.data is None
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]


async def test_the_full_introspection_query_answers_for_a_master(
    gql: GraphQL, master_token: str
) -> None:
    # What GraphiQL sends, with every option on.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    data = await gql.ok(query, token=master_token)

    client_schema = build_client_schema(data)
    mutation = client_schema.mutation_type
    assert mutation is not None
    assert sorted(n for n, f in mutation.fields.items() if "input" in f.args) == WITH_INPUT
    for name in WITH_INPUT:
        argument = mutation.fields[name].args["input"]
        assert isinstance(argument.type, GraphQLNonNull), name
        assert argument.default_value is Undefined, name
    [mutation_type] = [t for t in data["__schema"]["types"] if t["name"] == "Mutation"]
    defaults = {
        (field["name"], arg["name"]): arg["defaultValue"]
        for field in mutation_type["fields"]
        for arg in field["args"]
    }
    assert defaults[("userCreate", "input")] is None
    assert defaults[("userCreate", "dryRun")] == "false"
