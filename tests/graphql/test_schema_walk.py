"""Bad input to every operation of the schema is refused with a code, and writes nothing.

The cases are generated from the schema itself, so a new mutation or query is walked without
editing this file:

- every mutation without its input, with `input: {}`, with a string or an int where the input
  object goes, with every field of the wrong type, and oversized (strings past any limit, one of
  200 KB, lists of 101 items, the largest numbers);
- every argument of every query field, and of the fields one level below it, with malformed
  values: ids of the wrong kind, naive and out-of-range times, over-long strings, a negative or
  huge `first`, garbage `after` cursors, unknown enum values, values of the wrong type.

An answer passes when it is a coded refusal (a top-level error whose code is not
INTERNAL_SERVER_ERROR, or a payload userError), never has HTTP status 500, and leaves the row
count of every table as it was. A few query cases may instead answer normally (an id of the
wrong kind finds nothing); they must still not fail. Each test is one operation, run as a master
caller; anonymous callers get a subset.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_required_argument,
)

from app.db import Database
from app.graphql.schema import build_schema
from app.kit.ids import encode
from app.models import metadata
from app.settings import Settings
from tests.helpers import GraphQL, Response, World, gid

SCHEMA: GraphQLSchema = build_schema(Settings())._schema
QUERY = SCHEMA.query_type
MUTATION = SCHEMA.mutation_type
assert QUERY is not None
assert MUTATION is not None

LONG = 10_001  # past every length limit of the API
HUGE = 200_000  # one string this long per input
MANY = 101  # past the 100 items a list may hold
WRONG_KIND_ID = encode("zzz", uuid.UUID(int=1))
INTERNAL = "INTERNAL_SERVER_ERROR"

# Cases that must be refused, and cases that may also answer normally (never fail).
REFUSE, SURVIVE = "refuse", "survive"


@dataclass
class Case:
    label: str
    document: str
    variables: dict[str, Any] = field(default_factory=dict)
    expect: str = REFUSE
    anonymous: bool = False
    # Tables whose rows a refusal legitimately writes (the login throttle counts failures).
    may_write: frozenset[str] = frozenset()


# ---------------------------------------------------------------- type helpers


def type_text(type_: Any) -> str:
    return str(type_)


def selection(type_: Any) -> str:
    """A small selection valid on `type_`: the count and cursors of a connection, else typename."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
        fields = named.fields
        if "userErrors" in fields:
            parts.append("userErrors { code field }")
        if "totalCount" in fields:
            parts.append("totalCount")
        if "edges" in fields:
            parts.append("edges { cursor }")
    return "{ " + " ".join(parts) + " }"


def _scalar_name(type_: Any) -> str | None:
    named = get_named_type(type_)
    return named.name if isinstance(named, GraphQLScalarType) else None


def valid_value(type_: GraphQLInputType, ids: dict[str, str], name: str = "") -> Any:
    """A value of `type_` the schema accepts (real ids where the name says which)."""
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return [valid_value(nullable.of_type, ids, name)]
    if isinstance(nullable, GraphQLInputObjectType):
        return {
            key: valid_value(item.type, ids, key)
            for key, item in nullable.fields.items()
            if isinstance(item.type, GraphQLNonNull)
        }
    if isinstance(nullable, GraphQLEnumType):
        return next(iter(nullable.values))
    return {
        "ID": ids.get(name, WRONG_KIND_ID),
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "DateTime": "2999-01-01T00:00:00Z",
        "Date": "2999-01-01",
        "JSON": {"k": "v"},
        "Money": {"amount": 1, "currency": "USD"},
    }.get(nullable.name, "x")


def wrong_value(type_: GraphQLInputType) -> Any:
    """A value of the wrong type for `type_` (JSON takes any value: too deep, then)."""
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return {"not": "a list"}
    if isinstance(nullable, GraphQLInputObjectType):
        return "not an object"
    if isinstance(nullable, GraphQLEnumType):
        return "NOT_A_VALUE"
    deep: Any = {}
    for _ in range(40):
        deep = {"a": deep}
    return {
        "ID": 12345,
        "String": 12345,
        "Int": "twelve",
        "Float": "twelve",
        "Boolean": "yes",
        "DateTime": 12345,
        "Date": 12345,
        "JSON": deep,
        "Money": "5 dollars",
    }.get(nullable.name, [[["?"]]])


def oversized_value(
    type_: GraphQLInputType, ids: dict[str, str], name: str, huge: list[bool]
) -> Any:
    """Every string past its limit (the first one 200 KB), lists of 101, the largest numbers.

    Ids of known objects stay real, so the oversized strings reach the service's checks.
    """
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        huge[1] = True
        return [oversized_value(nullable.of_type, ids, name, huge) for _ in range(MANY)]
    if isinstance(nullable, GraphQLInputObjectType):
        return {
            key: oversized_value(item.type, ids, key, huge) for key, item in nullable.fields.items()
        }
    if isinstance(nullable, GraphQLEnumType):
        return list(nullable.values)[-1]
    scalar = nullable.name
    if scalar == "ID" and name in ids:
        return ids[name]
    if scalar in ("ID", "String"):
        huge[1] = True
        if not huge[0]:
            huge[0] = True
            return "x" * HUGE
        return "x" * LONG
    if scalar not in ("Boolean",):
        huge[1] = True
    return {
        "Int": 2**31 - 1,
        "Float": 1e308,
        "Boolean": True,
        "DateTime": "9999-12-31T23:59:59Z",
        "Date": "9999-12-31",
        "JSON": {"k": "x" * 60_000},
        "Money": {"amount": 2**63 - 1, "currency": "X" * LONG},
    }.get(scalar, "x" * LONG)


def oversized(type_: GraphQLInputType, ids: dict[str, str]) -> Any:
    """An oversized input. When real ids, flags and enum values are all it holds, the ids are
    oversized too: with real ids alone, it would be a valid call."""
    flags = [False, False]  # a 200 KB string was placed; something was oversized
    value = oversized_value(type_, ids, "input", flags)
    return value if flags[1] else oversized_value(type_, {}, "input", [False, False])


# ---------------------------------------------------------------- mutation cases


def mutation_cases(name: str, ids: dict[str, str]) -> list[Case]:
    field_ = MUTATION.fields[name]
    picked = selection(field_.type)
    argument = field_.args.get("input")
    if argument is None:
        return []
    input_type = get_nullable_type(argument.type)
    assert isinstance(input_type, GraphQLInputObjectType)
    declared = type_text(argument.type)
    with_variable = f"mutation($input: {declared}) {{ {name}(input: $input) {picked} }}"
    # The login throttle counts failed logins, on purpose, whatever the input was.
    may_write = frozenset({"login_failures"}) if name == "sessionCreate" else frozenset()
    wrong_fields = {key: wrong_value(item.type) for key, item in input_type.fields.items()}
    cases = [
        Case("no input", f"mutation {{ {name} {picked} }}"),
        Case("empty input", f"mutation {{ {name}(input: {{}}) {picked} }}", may_write=may_write),
        Case("input is a string", with_variable, {"input": "an input"}),
        Case("input is an int", with_variable, {"input": 42}),
        Case("input is null", with_variable, {"input": None}),
        Case("every field of the wrong type", with_variable, {"input": wrong_fields}),
        Case(
            "oversized",
            with_variable,
            {"input": oversized(argument.type, ids)},
            may_write=may_write,
        ),
    ]
    with_nul = {
        key: "a\u0000b" if _scalar_name(item.type) == "String" else valid_value(item.type, ids, key)
        for key, item in input_type.fields.items()
    }
    if any(value == "a\u0000b" for value in with_nul.values()):
        cases.append(Case("a NUL character in every string", with_variable, {"input": with_nul}))
    for key, item in input_type.fields.items():
        broken = valid_value(argument.type, ids)
        broken[key] = wrong_value(item.type)
        cases.append(Case(f"{key} of the wrong type", with_variable, {"input": broken}))
    cases += [
        Case("anonymous, no input", f"mutation {{ {name} {picked} }}", anonymous=True),
        Case(
            "anonymous, wrong fields",
            with_variable,
            {"input": wrong_fields},
            anonymous=True,
        ),
    ]
    return cases


# ---------------------------------------------------------------- query cases


def malformed_values(arg_name: str, type_: GraphQLInputType) -> list[tuple[str, Any, str]]:
    """(label, value, expectation) for one argument or filter field."""
    nullable = get_nullable_type(type_)
    if isinstance(nullable, GraphQLList):
        return [("not a list", {"a": 1}, REFUSE), ("101 items", ["x"] * MANY, SURVIVE)]
    if isinstance(nullable, GraphQLEnumType):
        return [("unknown enum value", "NOT_A_VALUE", REFUSE), ("enum as int", 3, REFUSE)]
    if isinstance(nullable, GraphQLInputObjectType):
        return [("not an object", "x", REFUSE), ("unknown field", {"nope": 1}, REFUSE)]
    scalar = nullable.name
    if scalar == "Int":
        values = [("a string", "ten", REFUSE), ("past 32 bits", 2**40, REFUSE)]
        if arg_name == "first":
            values += [("negative", -1, REFUSE), ("huge", 2**31 - 1, REFUSE), ("201", 201, REFUSE)]
        else:
            values += [("negative", -1, SURVIVE), ("largest", 2**31 - 1, SURVIVE)]
        return values
    if scalar == "DateTime":
        return [
            ("naive time", "2020-01-01T00:00:00", REFUSE),
            ("out of range in UTC", "9999-12-31T23:59:59-23:00", REFUSE),
            ("not a time", "yesterday", REFUSE),
            ("a number", 1_700_000_000, REFUSE),
        ]
    if scalar == "Boolean":
        return [("a string", "yes", REFUSE)]
    if scalar == "ID":
        return [
            ("id of the wrong kind", WRONG_KIND_ID, SURVIVE),
            ("garbage id", "not-an-id", SURVIVE),
            ("prefix only", "usr_", SURVIVE),
            ("over-long id", "usr_" + "x" * LONG, SURVIVE),
            ("a number", 12345, SURVIVE),  # GraphQL's ID accepts integers
            ("an object", {"id": 1}, REFUSE),
        ]
    if scalar == "String":
        if arg_name == "after":
            return [
                ("garbage cursor", "garbage", REFUSE),
                ("base64 of junk", "W1sxLDJdXQ", REFUSE),
                ("over-long cursor", "x" * LONG, REFUSE),
                ("a number", 5, REFUSE),
            ]
        expect = REFUSE if arg_name == "search" else SURVIVE
        return [
            ("101 characters", "x" * 101, expect),
            ("over-long string", "x" * LONG, expect),
            ("control characters", "\x00\x1b\ud7ff", SURVIVE),
            ("a number", 5, REFUSE),
        ]
    return [("a list where a scalar goes", [[1]], SURVIVE)]


def argument_cases(path: str, arguments: dict[str, Any], call: Any) -> list[Case]:
    """Malformed values for every argument, and for every field of an input-object argument.

    `call(arg_name, declared_type)` gives the document (where `$v` is the argument under test)
    and the values of the other variables it needs.
    """
    cases: list[Case] = []
    for arg_name, argument in arguments.items():
        document, fixed = call(arg_name, type_text(argument.type))
        for label, value, expect in malformed_values(arg_name, argument.type):
            cases.append(
                Case(f"{path}({arg_name}): {label}", document, {"v": value, **fixed}, expect)
            )
        nullable = get_nullable_type(argument.type)
        if isinstance(nullable, GraphQLInputObjectType):
            for key, item in nullable.fields.items():
                for label, value, expect in malformed_values(key, item.type):
                    variables = {"v": {key: value}, **fixed}
                    cases.append(
                        Case(f"{path}({arg_name}.{key}): {label}", document, variables, expect)
                    )
    return cases


def root_call(
    field_: GraphQLField, ids: dict[str, str], replaced: str | None = None, declared: str = ""
) -> tuple[str, str, dict[str, Any]]:
    """Variable declarations, arguments and values for a root field: `$v` for `replaced`, valid
    values for its other required arguments (a real user id, the test customer's slug)."""
    declarations, arguments, values = [], [], {}
    if replaced is not None:
        declarations.append(f"$v: {declared}")
        arguments.append(f"{replaced}: $v")
    for name, argument in field_.args.items():
        if name == replaced:
            continue
        # Nested cases reach the test customer through its slug.
        by_slug = name == "slug" and "slug" in ids and replaced is None
        if is_required_argument(argument) or by_slug:
            declarations.append(f"$r_{name}: {argument.type}")
            arguments.append(f"{name}: $r_{name}")
            values[f"r_{name}"] = (
                ids[name] if name in ids else valid_value(argument.type, ids, "userId")
            )
    head = f"({', '.join(declarations)})" if declarations else ""
    call = f"({', '.join(arguments)})" if arguments else ""
    return head, call, values


def query_cases(name: str, ids: dict[str, str]) -> list[Case]:
    field_ = QUERY.fields[name]
    picked = selection(field_.type)

    def at_root(arg_name: str, declared: str) -> tuple[str, dict[str, Any]]:
        head, call, values = root_call(field_, ids, arg_name, declared)
        return f"query{head} {{ {name}{call} {picked} }}", values

    cases = argument_cases(name, dict(field_.args), at_root)
    if field_.args:
        first = next(iter(field_.args))
        document, values = at_root(first, type_text(field_.args[first].type))
        cases.append(Case(f"{name}: anonymous", document, {"v": None, **values}, anonymous=True))

    # One level down: the fields with arguments of the objects this field returns.
    named = get_named_type(field_.type)
    if not isinstance(named, GraphQLObjectType):
        return cases
    node_type: Any = named
    around = "{ %s }"
    if "edges" in named.fields:
        edge = get_named_type(named.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        node_type = get_named_type(edge.fields["node"].type)
        around = "{ edges { node { %s } } }"
    if not isinstance(node_type, GraphQLObjectType):
        return cases
    head, call, values = root_call(field_, ids)
    for child_name, child in node_type.fields.items():
        if not child.args:
            continue

        def nested(
            arg_name: str, declared: str, child_name: str = child_name, child: Any = child
        ) -> tuple[str, dict[str, Any]]:
            inner = around % f"{child_name}({arg_name}: $v) {selection(child.type)}"
            declarations = f"($v: {declared}, {head[1:]}" if head else f"($v: {declared})"
            return f"query{declarations} {{ {name}{call} {inner} }}", values

        cases += argument_cases(f"{name}.{child_name}", dict(child.args), nested)
    return cases


# ---------------------------------------------------------------- running a case


async def row_counts(db: Database) -> dict[str, int]:
    """Rows per table, in one statement."""
    tables = metadata.sorted_tables
    statement = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables)
    )
    async with db.write_engine.connect() as connection:
        row = (await connection.execute(statement)).one()
    return dict(row._mapping)


def refusal_problem(case: Case, response: Response, root: str) -> str | None:
    """Why `response` is not an acceptable answer to `case`, or None."""
    if response.status >= 500:
        return f"HTTP {response.status}"
    codes = response.codes
    if INTERNAL in codes or None in codes:
        return f"codes {codes}"
    if codes:
        return None
    if case.anonymous:
        return "an anonymous caller was answered"
    payload = (response.data or {}).get(root)
    if isinstance(payload, dict) and payload.get("userErrors"):
        if any(not e.get("code") for e in payload["userErrors"]):
            return "a userError without a code"
        return None
    if case.expect == SURVIVE and response.status == 200 and response.data is not None:
        return None
    return "accepted"


async def run_cases(gql: GraphQL, db: Database, world: World, root: str, cases: list[Case]) -> None:
    assert cases, f"no cases for {root}"
    problems = []
    for case in cases:
        before = await row_counts(db)
        response = await gql(
            case.document, case.variables, token=None if case.anonymous else world.master
        )
        after = await row_counts(db)
        problem = refusal_problem(case, response, root)
        if problem is None:
            changed = {t for t in before if before[t] != after[t]} - case.may_write
            if changed:
                problem = f"wrote to {sorted(changed)}"
        if problem is not None:
            problems.append(f"{case.label}: {problem}: {str(response.body)[:300]}")
    assert not problems, f"{root}:\n" + "\n".join(problems)


def known_ids(world: World) -> dict[str, str]:
    return {
        "userId": gid("usr", world.member),
        "customerId": gid("cus", world.own),
        "slug": world.own.slug,
    }


# Operations with something to walk (the ids only shape values, so placeholders do here).
_PLACEHOLDER_IDS = {"userId": WRONG_KIND_ID, "customerId": WRONG_KIND_ID, "slug": "x"}
MUTATIONS = sorted(name for name in MUTATION.fields if mutation_cases(name, _PLACEHOLDER_IDS))
QUERIES = sorted(name for name in QUERY.fields if query_cases(name, _PLACEHOLDER_IDS))


@pytest.mark.parametrize("name", MUTATIONS)
async def test_bad_input_to_a_mutation_is_refused(
    gql: GraphQL, db: Database, world: World, name: str
) -> None:
    await run_cases(gql, db, world, name, mutation_cases(name, known_ids(world)))


@pytest.mark.parametrize("name", QUERIES)
async def test_malformed_arguments_to_a_query_are_refused(
    gql: GraphQL, db: Database, world: World, name: str
) -> None:
    await run_cases(gql, db, world, name, query_cases(name, known_ids(world)))


def test_the_walk_covers_the_schema() -> None:
    # Every mutation but the input-less ones, and every query field with arguments to break.
    assert len(MUTATIONS) >= 29
    assert {"users", "customers", "auditEvents", "feedback", "user", "node"} <= set(QUERIES)
    assert all(MUTATION.fields[name].args.get("input") for name in MUTATIONS)
