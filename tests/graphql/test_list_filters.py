"""Filters of `users` and `customers`, search limits, enum and id validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.kit import clock
from app.models import CustomerStatus, MemberRole, UserStatus
from tests.helpers import Factory, GraphQL, World, gid

USERS = """
query($filter: UserFilter) {
  users(first: 200, filter: $filter, orderBy: {field: EMAIL, direction: ASC}) {
    totalCount nodes { email status }
  }
}"""
CUSTOMERS = """
query($filter: CustomerFilter) {
  customers(first: 200, filter: $filter, orderBy: {field: SLUG, direction: ASC}) {
    totalCount nodes { slug }
  }
}"""


async def emails(gql: GraphQL, token: str, **filter: Any) -> list[str]:
    data = await gql.ok(USERS, {"filter": filter}, token=token)
    found = [node["email"] for node in data["users"]["nodes"]]
    assert data["users"]["totalCount"] == len(found)
    return found


async def slugs(gql: GraphQL, token: str, **filter: Any) -> list[str]:
    data = await gql.ok(CUSTOMERS, {"filter": filter}, token=token)
    found = [node["slug"] for node in data["customers"]["nodes"]]
    assert data["customers"]["totalCount"] == len(found)
    return found


# ---------------------------------------------------------------- users


@pytest.fixture
async def statuses(factory: Factory) -> None:
    now = clock.now()
    await factory.user("active@s.test")
    await factory.user(
        "lapsed@s.test", status=UserStatus.SUSPENDED, suspended_until=now - timedelta(hours=1)
    )
    await factory.user(
        "until@s.test", status=UserStatus.SUSPENDED, suspended_until=now + timedelta(hours=1)
    )
    await factory.user("forever@s.test", status=UserStatus.SUSPENDED)
    await factory.user("blocked@s.test", status=UserStatus.BLOCKED)
    await factory.user("deleted@s.test", status=UserStatus.DELETED)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ACTIVE", ["active@s.test", "lapsed@s.test"]),
        ("SUSPENDED", ["forever@s.test", "until@s.test"]),
        ("BLOCKED", ["blocked@s.test"]),
        ("DELETED", ["deleted@s.test"]),
    ],
)
async def test_users_by_status(
    gql: GraphQL, master_token: str, statuses: None, status: str, expected: list[str]
) -> None:
    assert await emails(gql, master_token, status=status) == expected


async def test_lapsed_suspension_reads_active(
    gql: GraphQL, master_token: str, statuses: None
) -> None:
    data = await gql.ok(USERS, {"filter": {"search": "s.test"}}, token=master_token)
    shown = {node["email"]: node["status"] for node in data["users"]["nodes"]}
    assert shown == {
        "active@s.test": "ACTIVE",
        "lapsed@s.test": "ACTIVE",
        "until@s.test": "SUSPENDED",
        "forever@s.test": "SUSPENDED",
        "blocked@s.test": "BLOCKED",
        "deleted@s.test": "DELETED",
    }


async def test_suspension_lapsing_later_moves_the_user_to_active(
    gql: GraphQL, master_token: str, statuses: None
) -> None:
    with clock.travel(timedelta(hours=1, seconds=1)):
        assert await emails(gql, master_token, status="SUSPENDED") == ["forever@s.test"]
        assert "until@s.test" in await emails(gql, master_token, status="ACTIVE")


async def test_users_by_plan_code(gql: GraphQL, world: World, factory: Factory) -> None:
    free = await factory.plan("free")
    small = await factory.customer("small-co", plan=free)
    await factory.member(small, world.member)  # the member is on pro (own-co) and free
    await factory.member(small, await factory.user("solo@small.test"))
    pro = await emails(gql, world.master, planCode="pro")
    assert pro == ["admin@own.test", "member@own.test", "outsider@other.test", "owner@own.test"]
    assert await emails(gql, world.master, planCode="free") == [
        "member@own.test",
        "solo@small.test",
    ]
    assert await emails(gql, world.master, planCode="nope") == []


async def test_users_by_customer(gql: GraphQL, world: World) -> None:
    assert await emails(gql, world.master, customerId=gid("cus", world.other)) == [
        "outsider@other.test"
    ]
    assert await emails(gql, world.master, customerId=gid("cus", world.own)) == [
        "admin@own.test",
        "member@own.test",
        "owner@own.test",
    ]


async def test_customer_filter_cannot_widen_a_session_scope(gql: GraphQL, world: World) -> None:
    assert await emails(gql, world.owner_token, customerId=gid("cus", world.other)) == []


async def test_customer_filter_with_a_wrong_id_is_an_error(gql: GraphQL, world: World) -> None:
    response = await gql(
        USERS, {"filter": {"customerId": gid("usr", world.owner)}}, token=world.master
    )
    assert response.codes == ["BAD_USER_INPUT"]
    assert "customerId" in response.errors[0]["message"]


async def test_users_search(gql: GraphQL, master_token: str, factory: Factory) -> None:
    await factory.user("grace.hopper@navy.test", name="Grace Hopper")
    await factory.user("alan@bletchley.test", name="Alan Turing")
    await factory.user("percent%sign@odd.test", name="Per Cent")
    await factory.user("percentxsign@odd.test", name="Not Percent")
    await factory.user("under_score@odd.test", name="Under Score")
    await factory.user("underXscore@odd.test", name="Under X")
    assert await emails(gql, master_token, search="HOPPER") == ["grace.hopper@navy.test"]
    assert await emails(gql, master_token, search="turing") == ["alan@bletchley.test"]
    assert await emails(gql, master_token, search="bletchley") == ["alan@bletchley.test"]
    # LIKE wildcards are plain characters in a search.
    assert await emails(gql, master_token, search="%") == ["percent%sign@odd.test"]
    assert await emails(gql, master_token, search="t%s") == ["percent%sign@odd.test"]
    assert await emails(gql, master_token, search="_") == ["under_score@odd.test"]
    assert await emails(gql, master_token, search="r_s") == ["under_score@odd.test"]
    assert await emails(gql, master_token, search="\\") == []
    # Blank means no filter.
    assert len(await emails(gql, master_token, search="   ")) == 6


async def test_users_created_between(gql: GraphQL, master_token: str, factory: Factory) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    for day in range(4):
        await factory.user(f"day{day}@t.test", created_at=base + timedelta(days=day))
    after = (base + timedelta(days=1)).isoformat()
    before = (base + timedelta(days=3)).isoformat()
    # createdAfter is inclusive, createdBefore exclusive.
    assert await emails(gql, master_token, createdAfter=after) == [
        "day1@t.test",
        "day2@t.test",
        "day3@t.test",
    ]
    assert await emails(gql, master_token, createdBefore=before) == [
        "day0@t.test",
        "day1@t.test",
        "day2@t.test",
    ]
    assert await emails(gql, master_token, createdAfter=after, createdBefore=before) == [
        "day1@t.test",
        "day2@t.test",
    ]


async def test_filters_combine(gql: GraphQL, world: World, factory: Factory) -> None:
    blocked = await factory.user("blocked@own.test", status=UserStatus.BLOCKED)
    await factory.member(world.own, blocked, MemberRole.MEMBER)
    found = await emails(
        gql, world.master, customerId=gid("cus", world.own), status="BLOCKED", search="own"
    )
    assert found == ["blocked@own.test"]


# ---------------------------------------------------------------- customers


async def test_customers_filters(gql: GraphQL, world: World, factory: Factory) -> None:
    free = await factory.plan("free")
    await factory.customer(
        "gone-co", plan=free, status=CustomerStatus.DEACTIVATED, name="Gone Company"
    )
    await factory.customer("acme", plan=free, name="ACME Rockets", billing_email="pay@wile.test")
    assert await slugs(gql, world.master, status="DEACTIVATED") == ["gone-co"]
    assert await slugs(gql, world.master, status="ACTIVE") == ["acme", "other-co", "own-co"]
    assert await slugs(gql, world.master, planCode="free") == ["acme", "gone-co"]
    assert await slugs(gql, world.master, planCode="pro") == ["other-co", "own-co"]
    assert await slugs(gql, world.master, search="rockets") == ["acme"]  # name
    assert await slugs(gql, world.master, search="OWN-") == ["own-co"]  # slug
    assert await slugs(gql, world.master, search="wile") == ["acme"]  # billing email
    assert await slugs(gql, world.master, search="%") == []


async def test_customers_created_between(gql: GraphQL, master_token: str, factory: Factory) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    for day in range(3):
        await factory.customer(f"day-{day}", created_at=base + timedelta(days=day))
    found = await slugs(
        gql,
        master_token,
        createdAfter=(base + timedelta(days=1)).isoformat(),
        createdBefore=(base + timedelta(days=2)).isoformat(),
    )
    assert found == ["day-1"]


async def test_customer_filters_stay_in_scope(gql: GraphQL, world: World) -> None:
    assert await slugs(gql, world.owner_token, planCode="pro") == ["own-co"]
    assert await slugs(gql, world.owner_token, search="other") == []


# ---------------------------------------------------------------- limits and validation


@pytest.mark.parametrize("query", [USERS, CUSTOMERS], ids=["users", "customers"])
async def test_search_is_limited_to_100_characters(
    gql: GraphQL, factory: Factory, master_token: str, query: str
) -> None:
    # Matched whole: a search cut short would also find the near miss.
    await factory.user("whole@s.test", name="x" * 100)
    await factory.user("near@s.test", name="x" * 99 + "y")
    await factory.customer("whole", name="x" * 100)
    await factory.customer("near", name="x" * 99 + "y")
    ok = await gql(query, {"filter": {"search": "x" * 100}}, token=master_token)
    assert ok.errors == []
    [connection] = ok.data.values()
    expected = ["whole@s.test"] if query is USERS else ["whole"]
    assert [next(iter(node.values())) for node in connection["nodes"]] == expected
    response = await gql(query, {"filter": {"search": "x" * 101}}, token=master_token)
    assert response.codes == ["BAD_USER_INPUT"]
    assert "100" in response.errors[0]["message"]
    assert response.data is None


@pytest.mark.parametrize(
    "query",
    [
        "{ users(filter: {status: GONE}) { totalCount } }",
        '{ users(filter: {status: "ACTIVE"}) { totalCount } }',
        "{ users(orderBy: {field: NAME}) { totalCount } }",
        "{ customers(filter: {status: SUSPENDED}) { totalCount } }",
        "{ auditEvents(direction: SIDEWAYS) { totalCount } }",
    ],
)
async def test_unknown_enum_value_is_a_validation_error(
    gql: GraphQL, master_token: str, query: str
) -> None:
    response = await gql(query, token=master_token)
    assert response.status == 200
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert response.data is None


async def test_unknown_enum_value_in_variables_is_refused(gql: GraphQL, master_token: str) -> None:
    response = await gql(USERS, {"filter": {"status": "GONE"}}, token=master_token)
    assert response.data is None
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert "GONE" in response.errors[0]["message"]
