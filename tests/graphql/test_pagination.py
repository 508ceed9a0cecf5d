"""Relay connections: keyset cursors, page sizes, totalCount, orderings (docs/architecture.md: conventions)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from app.models import Customer, MemberRole, Membership, NoteCategory, User, UserNote
from tests.helpers import Factory, GraphQL, World, gid
from tests.support import add_rows

USERS = """
query($first: Int, $after: String, $field: UserOrderField!, $direction: OrderDirection!) {
  users(first: $first, after: $after, orderBy: {field: $field, direction: $direction}) {
    totalCount
    edges { cursor node { id email createdAt lastSeenAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def people(db: Any) -> list[User]:
    """Fourteen users with ties in every ordering and some who were never seen."""
    users = []
    letters = "abcdefghijklmn"
    for n, letter in enumerate(letters):
        created = T0 + timedelta(hours=n // 3)  # three share each creation time
        seen: datetime | None = None
        if n % 4 == 1:
            seen = T0 + timedelta(days=1)  # a tie
        elif n % 4 == 2:
            seen = T0 + timedelta(days=2, minutes=n)
        users.append(
            User(
                email=f"{letter * 3}@example.com",
                name=f"Person {letter.upper()}",
                created_at=created,
                updated_at=created,
                last_seen_at=seen,
            )
        )
    # Ids must not follow the emails' order, so the tie-breaker is really exercised.
    for user in users:
        user.id = uuid.uuid4()
    await add_rows(db, *users)
    return users


def sort_value(user: User, field: str) -> Any:
    if field == "CREATED_AT":
        return user.created_at
    if field == "EMAIL":
        return user.email
    return user.last_seen_at or datetime(1970, 1, 1, tzinfo=UTC)


async def walk(
    gql: GraphQL, token: str, field: str, direction: str, first: int
) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    pages = []
    after = None
    while True:
        data = await gql.ok(
            USERS,
            {"first": first, "after": after, "field": field, "direction": direction},
            token=token,
        )
        page = data["users"]
        pages.append(page)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
        assert len(pages) < 50, "paging does not end"


@pytest.mark.parametrize("field", ["CREATED_AT", "EMAIL", "LAST_SEEN_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("first", [1, 4])
async def test_paging_visits_every_user_exactly_once(
    gql: GraphQL, master_token: str, people: list[User], field: str, direction: str, first: int
) -> None:
    seen, pages = await walk(gql, master_token, field, direction, first)
    assert len(seen) == len(people) == len(set(seen))
    assert {p["totalCount"] for p in pages} == {len(people)}
    assert all(len(p["edges"]) == first for p in pages[:-1])
    descending = direction == "DESC"
    expected = sorted(people, key=lambda u: (sort_value(u, field), u.id), reverse=descending)
    assert seen == [gid("usr", user) for user in expected]


async def test_never_seen_users_sort_first_ascending_last_descending(
    gql: GraphQL, master_token: str, people: list[User]
) -> None:
    never = sum(1 for user in people if user.last_seen_at is None)
    assert never >= 3
    for direction, head in (("ASC", True), ("DESC", False)):
        data = await gql.ok(
            USERS,
            {"first": 200, "field": "LAST_SEEN_AT", "direction": direction},
            token=master_token,
        )
        values = [edge["node"]["lastSeenAt"] for edge in data["users"]["edges"]]
        part = values[:never] if head else values[-never:]
        assert part == [None] * never


async def test_default_and_maximum_page_sizes(gql: GraphQL, master_token: str, db: Any) -> None:
    await add_rows(
        db, *(User(email=f"bulk{n:03}@example.com", name=f"Bulk {n}") for n in range(205))
    )
    default = await gql.ok(
        "{ users { totalCount edges { cursor } pageInfo { hasNextPage } } }", token=master_token
    )
    assert len(default["users"]["edges"]) == 50
    assert default["users"]["totalCount"] == 205
    assert default["users"]["pageInfo"]["hasNextPage"] is True
    largest = await gql.ok(
        "{ users(first: 200) { edges { cursor } pageInfo { hasNextPage } } }", token=master_token
    )
    assert len(largest["users"]["edges"]) == 200
    assert largest["users"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("first", [201, 500, -1])
async def test_page_size_out_of_range_is_an_error(
    gql: GraphQL, master_token: str, first: int
) -> None:
    response = await gql(
        "query($first: Int) { users(first: $first) { totalCount } }",
        {"first": first},
        token=master_token,
    )
    assert response.status == 200
    assert response.codes == ["BAD_USER_INPUT"]
    assert "first" in response.errors[0]["message"]
    assert response.data is None


async def test_first_zero_is_an_empty_page(gql: GraphQL, master_token: str, world: World) -> None:
    data = await gql.ok(
        "{ users(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } }",
        token=master_token,
    )
    assert data["users"]["edges"] == []
    assert data["users"]["pageInfo"]["endCursor"] is None
    assert data["users"]["totalCount"] == 5


def cursor_of(*parts: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "",
        base64.urlsafe_b64encode(b"not json").decode(),
        cursor_of("User:CREATED_AT:desc"),
        cursor_of("User:CREATED_AT:desc", {"t": "yesterday"}, uuid.uuid4().hex),
        cursor_of("User:CREATED_AT:desc", {"t": "2025-01-01T00:00:00+00:00"}, "not-a-uuid"),
        cursor_of(1, 2, 3),
        cursor_of("User:CREATED_AT:desc", "yesterday", uuid.uuid4().hex),
        cursor_of("User:CREATED_AT:desc", {"t": "2025-01-01T00:00:00"}, uuid.uuid4().hex),
        cursor_of("User:CREATED_AT:desc", {"x": 1}, uuid.uuid4().hex),
        cursor_of("User:CREATED_AT:desc", [1, 2], uuid.uuid4().hex),
        cursor_of("User:CREATED_AT:desc", None, uuid.uuid4().hex),
    ],
    ids=[
        "word",
        "symbols",
        "empty",
        "not-json",
        "short",
        "bad-time",
        "bad-id",
        "numbers",
        "text-for-time",
        "naive-time",
        "object",
        "list",
        "null",
    ],
)
async def test_malformed_cursor_is_refused(
    gql: GraphQL, master_token: str, world: World, cursor: str
) -> None:
    response = await gql(
        "query($after: String) { users(after: $after) { totalCount } }",
        {"after": cursor},
        token=master_token,
    )
    if cursor == "":
        # An empty `after` means "from the start".
        assert response.errors == []
        return
    assert response.codes == ["INVALID_CURSOR"]
    assert response.data is None


async def test_cursor_from_another_list_or_ordering_is_refused(
    gql: GraphQL, master_token: str, world: World
) -> None:
    customers = await gql.ok(
        "{ customers(first: 1) { pageInfo { endCursor } } }", token=master_token
    )
    users_email_asc = await gql.ok(
        USERS, {"first": 1, "field": "EMAIL", "direction": "ASC"}, token=master_token
    )
    audit = await gql.ok("{ auditEvents(first: 1) { pageInfo { endCursor } } }", token=master_token)
    foreign = {
        "customers": customers["customers"]["pageInfo"]["endCursor"],
        "audit": audit["auditEvents"]["pageInfo"]["endCursor"],
        "email-asc": users_email_asc["users"]["pageInfo"]["endCursor"],
    }
    for name, cursor in foreign.items():
        for field, direction in (("CREATED_AT", "DESC"), ("EMAIL", "DESC"), ("CREATED_AT", "ASC")):
            response = await gql(
                USERS,
                {"first": 1, "after": cursor, "field": field, "direction": direction},
                token=master_token,
            )
            assert response.codes == ["INVALID_CURSOR"], (name, field, direction)
    # The users cursor is fine where it came from.
    ok = await gql(
        USERS,
        {"first": 1, "after": foreign["email-asc"], "field": "EMAIL", "direction": "ASC"},
        token=master_token,
    )
    assert ok.errors == []


async def test_customers_paging_by_every_ordering(
    gql: GraphQL, master_token: str, factory: Factory, db: Any
) -> None:
    rows = [
        Customer(
            slug=f"co-{letter}",
            name=f"Company {letter.upper()}",
            billing_email=f"{letter}@co.test",
            created_at=T0 + timedelta(hours=n // 2),
        )
        for n, letter in enumerate("pqrstuvw")
    ]
    await add_rows(db, *rows)
    query = """
    query($after: String, $field: CustomerOrderField!, $direction: OrderDirection!) {
      customers(first: 3, after: $after, orderBy: {field: $field, direction: $direction}) {
        totalCount edges { node { slug } } pageInfo { hasNextPage endCursor }
      }
    }"""
    for field in ("CREATED_AT", "NAME", "SLUG"):
        for direction in ("ASC", "DESC"):
            slugs: list[str] = []
            after = None
            while True:
                page = (
                    await gql.ok(
                        query,
                        {"after": after, "field": field, "direction": direction},
                        token=master_token,
                    )
                )["customers"]
                assert page["totalCount"] == 8
                slugs += [edge["node"]["slug"] for edge in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert sorted(slugs) == sorted(row.slug for row in rows)
            assert len(slugs) == 8
            if field != "CREATED_AT":
                assert slugs == sorted(slugs, reverse=direction == "DESC")


# ---------------------------------------------------------------- nested connections


async def test_user_notes_page_by_page(
    gql: GraphQL, master_token: str, factory: Factory, db: Any
) -> None:
    user = await factory.user("noted@example.com")
    await add_rows(
        db,
        *(
            UserNote(
                user_id=user.id,
                body=f"note {n}",
                category=NoteCategory.SUPPORT,
                author_id="test",
                created_at=T0 + timedelta(minutes=n),
            )
            for n in range(15)
        ),
    )
    query = """
    query($id: ID!, $after: String) {
      user(id: $id) { notes(after: $after) {
        totalCount edges { node { body } } pageInfo { hasNextPage hasPreviousPage endCursor }
      } }
    }"""
    first = (await gql.ok(query, {"id": gid("usr", user)}, token=master_token))["user"]["notes"]
    assert first["totalCount"] == 15
    assert len(first["edges"]) == 10  # `notes` pages default to 10
    assert first["pageInfo"]["hasNextPage"] is True
    second = (
        await gql.ok(
            query,
            {"id": gid("usr", user), "after": first["pageInfo"]["endCursor"]},
            token=master_token,
        )
    )["user"]["notes"]
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["pageInfo"]["endCursor"],
    }
    bodies = [edge["node"]["body"] for edge in first["edges"] + second["edges"]]
    assert bodies == [f"note {n}" for n in reversed(range(15))]  # newest first


async def test_customer_members_page_by_page(
    gql: GraphQL, master_token: str, factory: Factory, db: Any
) -> None:
    customer = await factory.customer("crowd")
    people = [User(email=f"m{n}@crowd.test", name=f"M {n}") for n in range(7)]
    await add_rows(db, *people)
    await add_rows(
        db,
        *(
            Membership(
                customer_id=customer.id,
                user_id=person.id,
                role=MemberRole.MEMBER,
                created_at=T0 + timedelta(minutes=n),
            )
            for n, person in enumerate(people)
        ),
    )
    query = """
    query($id: ID!, $after: String) {
      customer(id: $id) { members(first: 3, after: $after) {
        totalCount edges { node { user { email } } } pageInfo { hasNextPage endCursor }
      } }
    }"""
    emails: list[str] = []
    after = None
    while True:
        page = (
            await gql.ok(query, {"id": gid("cus", customer), "after": after}, token=master_token)
        )["customer"]["members"]
        assert page["totalCount"] == 7
        emails += [edge["node"]["user"]["email"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert emails == [f"m{n}@crowd.test" for n in reversed(range(7))]


async def test_nested_page_size_is_capped_too(
    gql: GraphQL, master_token: str, world: World
) -> None:
    response = await gql(
        "query($id: ID!) { customer(id: $id) { slug members(first: 201) { totalCount } } }",
        {"id": gid("cus", world.own)},
        token=master_token,
    )
    assert response.codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["path"] == ["customer", "members"]
