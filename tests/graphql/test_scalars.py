"""The `DateTime` and `JSON` scalars refuse what they cannot represent, for every argument.

A refusal is a GraphQL validation error of the variable or literal (code
GRAPHQL_VALIDATION_FAILED), reported before anything runs: nothing is read, hashed or written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.db import Database
from app.graphql.mutation import MAX_FINGERPRINT_DEPTH, fingerprint
from app.graphql.scalars import MAX_JSON_BYTES, MAX_JSON_DEPTH
from app.kit.errors import UserInputError
from tests.helpers import Factory, GraphQL, World
from tests.users.support import USER_UPDATE, snapshot, uid

VALIDATION = "GRAPHQL_VALIDATION_FAILED"


def nested_objects(depth: int) -> dict[str, Any]:
    """`{"a": {"a": … {}}}`, `depth` objects deep."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def literal(depth: int) -> str:
    return "{a: " * (depth - 1) + "{}" + "}" * (depth - 1)


def assert_refused(response: Any, *words: str) -> None:
    assert response.status == 200, response.body
    assert response.data is None
    assert response.codes == [VALIDATION], response.errors
    for word in words:
        assert word in response.errors[0]["message"]


# ---------------------------------------------------------------- DateTime

NAIVE = "2020-01-01T00:00:00"
FILTERS = [
    ("users", "UserFilter", "createdAfter", "totalCount"),
    ("users", "UserFilter", "createdBefore", "totalCount"),
    ("customers", "CustomerFilter", "createdAfter", "totalCount"),
    ("feedback", "FeedbackFilter", "from", "totalCount"),
    ("feedback", "FeedbackFilter", "to", "totalCount"),
    ("auditEvents", "AuditEventFilter", "from", "totalCount"),
    ("auditEvents", "AuditEventFilter", "to", "totalCount"),
]
FILTER_IDS = [f"{field}.{name}" for field, _, name, _ in FILTERS]


@pytest.mark.parametrize(("field", "filter_type", "name", "selection"), FILTERS, ids=FILTER_IDS)
@pytest.mark.parametrize(
    ("value", "words"),
    [
        (NAIVE, "time zone"),
        ("2020-01-01", "time zone"),
        ("9999-12-31T23:59:59-23:00", "out of range"),
        ("0001-01-01T00:00:00+01:00", "out of range"),
        ("yesterday", "ISO 8601"),
    ],
    ids=["naive", "date-only", "past-9999-in-utc", "before-year-1-in-utc", "not-a-time"],
)
async def test_a_filter_time_that_utc_cannot_hold_is_a_validation_error(
    gql: GraphQL,
    world: World,
    field: str,
    filter_type: str,
    name: str,
    selection: str,
    value: str,
    words: str,
) -> None:
    inline = await gql(
        f'{{ {field}(filter: {{{name}: "{value}"}}) {{ {selection} }} }}', token=world.master
    )
    variable = await gql(
        f"query($f: {filter_type}) {{ {field}(filter: $f) {{ {selection} }} }}",
        {"f": {name: value}},
        token=world.master,
    )

    assert_refused(inline, words)
    assert_refused(variable, words, f".{name}")


async def test_a_filter_time_with_an_offset_is_compared_in_utc(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    created = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    await factory.user("ada@example.com", created_at=created)
    query = "query($t: DateTime) { users(filter: {createdAfter: $t}) { totalCount } }"

    # 14:59 at +03:00 is 11:59 UTC, a minute before; 07:01 at -05:00 is 12:01 UTC, a minute after.
    before = await gql.ok(query, {"t": "2024-06-01T14:59:00+03:00"}, token=master_token)
    after = await gql.ok(query, {"t": "2024-06-01T07:01:00-05:00"}, token=master_token)

    assert before["users"]["totalCount"] == 1
    assert after["users"]["totalCount"] == 0


async def test_mutation_times_follow_the_same_rule(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)
    future = (datetime.now(UTC) + timedelta(days=30)).replace(tzinfo=None).isoformat()

    response = await gql(
        'mutation($u: ID!, $t: DateTime) { userSuspend(input: {userId: $u, reason: "x", '
        "until: $t}) { userErrors { code } } }",
        {"u": uid(world.member), "t": future},
        token=world.master,
    )

    assert_refused(response, "time zone")
    assert await snapshot(db) == before


# ---------------------------------------------------------------- JSON


async def test_metadata_nested_300_levels_is_refused_and_writes_nothing(
    gql: GraphQL, client: httpx.AsyncClient, world: World, db: Database
) -> None:
    before = await snapshot(db)

    as_variable = await USER_UPDATE.send(
        gql, {"userId": uid(world.member), "metadata": nested_objects(300)}, token=world.master
    )
    as_literal = await gql(
        f'mutation {{ userUpdate(input: {{userId: "{uid(world.member)}", '
        f"metadata: {literal(300)}}}) {{ userErrors {{ code }} }} }}",
        token=world.master,
    )

    # In variables, the body itself is too deep (400); in the document, the parser refuses it.
    assert as_variable.status == 400
    assert as_variable.codes == ["BAD_REQUEST"]
    assert as_literal.status == 200
    assert as_literal.codes == ["GRAPHQL_PARSE_FAILED"]
    assert await snapshot(db) == before


async def test_json_past_the_depth_limit_is_refused_at_the_limit_is_kept(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)
    too_deep = nested_objects(MAX_JSON_DEPTH + 1)

    as_variable = await USER_UPDATE.send(
        gql, {"userId": uid(world.member), "metadata": too_deep}, token=world.master
    )
    as_literal = await gql(
        f'mutation {{ userUpdate(input: {{userId: "{uid(world.member)}", '
        f"metadata: {literal(MAX_JSON_DEPTH + 1)}}}) {{ userErrors {{ code }} }} }}",
        token=world.master,
    )

    assert_refused(as_variable, ".metadata", f"at most {MAX_JSON_DEPTH} levels")
    assert_refused(as_literal, f"at most {MAX_JSON_DEPTH} levels")
    assert await snapshot(db) == before

    deepest = nested_objects(MAX_JSON_DEPTH)
    payload = await USER_UPDATE.ok(
        gql, {"userId": uid(world.member), "metadata": deepest}, token=world.master
    )
    assert payload["user"]["metadata"] == deepest


async def test_json_past_the_size_limit_is_refused(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)
    huge = {"notes": "x" * (MAX_JSON_BYTES + 1)}

    response = await USER_UPDATE.send(
        gql, {"userId": uid(world.member), "metadata": huge}, token=world.master
    )

    assert_refused(response, f"{MAX_JSON_BYTES // 1024} KB")
    assert len(orjson.dumps(huge)) > MAX_JSON_BYTES
    assert await snapshot(db) == before


async def test_a_json_integer_beyond_64_bits_is_refused(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)

    response = await gql(
        f'mutation {{ userUpdate(input: {{userId: "{uid(world.member)}", '
        "metadata: {n: 123456789012345678901234567890}}) { userErrors { code } } }",
        token=world.master,
    )

    assert_refused(response, "64 bits")
    assert await snapshot(db) == before


def test_the_idempotency_fingerprint_stops_at_its_depth_bound() -> None:
    deep: Any = "leaf"
    for _ in range(10_000):  # past Python's recursion limit, were the walk unbounded
        deep = {"a": [deep]}

    with pytest.raises(UserInputError) as refused:
        fingerprint(deep)

    assert refused.value.field == ["input"]
    shallow = nested_objects(MAX_FINGERPRINT_DEPTH)
    assert fingerprint(shallow) == shallow
