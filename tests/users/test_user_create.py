"""`userCreate(input: {email, name, password?, isStaff?})`: email normalized and unique."""

from __future__ import annotations

import asyncio

from app.db import Database
from app.models.tables import USERS
from tests.helpers import GraphQL, World
from tests.users.support import (
    USER_CREATE,
    USER_DELETE,
    codes,
    count,
    events,
    everything_as_text,
    login,
    snapshot,
    uid,
)

GOOD_PASSWORD = "a long enough password"


async def test_creates_a_user_with_a_normalized_email(gql: GraphQL, world: World) -> None:
    payload = await USER_CREATE.ok(
        gql,
        {"email": "  Ada.Lovelace@Example.COM ", "name": "Ada Lovelace", "isStaff": True},
        token=world.master,
    )

    user = payload["user"]
    assert user["id"].startswith("usr_")
    assert user["email"] == "ada.lovelace@example.com"
    assert user["name"] == "Ada Lovelace"
    assert user["status"] == "ACTIVE"
    assert user["isStaff"] is True


async def test_the_password_is_stored_hashed_and_works_for_login(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_CREATE.ok(
        gql, {"email": "ada@example.com", "password": GOOD_PASSWORD}, token=world.master
    )

    created = USERS.c.email == "ada@example.com"
    assert await count(db, USERS, created, USERS.c.password_hash.like("$argon2id$%")) == 1
    assert GOOD_PASSWORD not in await everything_as_text(db)
    assert (await login(gql, "ADA@example.com", GOOD_PASSWORD))["token"]


async def test_without_a_password_the_user_cannot_log_in_yet(gql: GraphQL, world: World) -> None:
    await USER_CREATE.ok(gql, {"email": "invitee@example.com"}, token=world.master)

    attempt = await login(gql, "invitee@example.com", GOOD_PASSWORD)

    assert attempt["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_creation_is_audited_without_the_password(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_CREATE.ok(
        gql, {"email": "ada@example.com", "password": GOOD_PASSWORD}, token=world.master
    )

    (event,) = await events(db, "user.create")
    assert event.diff["email"] == {"before": None, "after": "ada@example.com"}
    assert GOOD_PASSWORD not in repr(event.diff)
    assert "argon2" not in repr(event.diff)


async def test_an_email_taken_in_another_case_is_refused(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)

    payload = await USER_CREATE.payload(gql, {"email": " OWNER@Own.test"}, token=world.master)

    assert payload["userErrors"] == [
        {
            "field": ["input", "email"],
            "message": "A user with this email exists.",
            "code": "EMAIL_TAKEN",
        }
    ]
    assert payload["user"] is None
    assert await snapshot(db) == before


async def test_a_malformed_email_is_invalid(gql: GraphQL, world: World, db: Database) -> None:
    for email in ("not-an-email", "two@@example.com", "spaces in@example.com", "", "a@b"):
        payload = await USER_CREATE.payload(gql, {"email": email}, token=world.master)
        assert payload["userErrors"][0]["code"] == "INVALID", email
        assert payload["userErrors"][0]["field"] == ["input", "email"]
    assert await count(db, USERS) == 5  # the world's users only


async def test_a_short_password_is_weak(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USER_CREATE.payload(
        gql, {"email": "ada@example.com", "password": "short"}, token=world.master
    )

    assert codes(payload) == ["WEAK_PASSWORD"]
    assert payload["userErrors"][0]["field"] == ["input", "password"]
    assert await count(db, USERS, USERS.c.email == "ada@example.com") == 0


async def test_the_email_as_password_is_weak(gql: GraphQL, world: World) -> None:
    for password in ("ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"):
        payload = await USER_CREATE.payload(
            gql,
            {"email": "Ada.Lovelace@example.com", "password": password},
            token=world.master,
        )
        assert codes(payload) == ["WEAK_PASSWORD"], password


async def test_several_problems_are_reported_together(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)

    payload = await USER_CREATE.payload(
        gql, {"email": "nope", "name": "x" * 201, "password": "short"}, token=world.master
    )

    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [
        (["input", "email"], "INVALID"),
        (["input", "name"], "TOO_LONG"),
        (["input", "password"], "WEAK_PASSWORD"),
    ]
    assert await snapshot(db) == before


async def test_the_email_of_a_soft_deleted_user_is_free_again(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await USER_CREATE.ok(gql, {"email": "member@own.test"}, token=world.master)

    assert payload["user"]["email"] == "member@own.test"


async def test_two_concurrent_creations_of_one_email_make_one_user(
    gql: GraphQL, world: World, db: Database
) -> None:
    first, second = await asyncio.gather(
        USER_CREATE.payload(gql, {"email": "race@example.com"}, token=world.master),
        USER_CREATE.payload(gql, {"email": "RACE@example.com"}, token=world.master),
    )

    outcomes = sorted(tuple(codes(payload)) for payload in (first, second))
    assert outcomes[0] == ()
    assert outcomes[1] in {("EMAIL_TAKEN",), ("CONFLICT",)}
    assert await count(db, USERS, USERS.c.email == "race@example.com") == 1
