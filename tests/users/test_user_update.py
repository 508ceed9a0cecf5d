"""`userUpdate(input: {userId, name?, email?, isStaff?, metadata?})`: every change leaves a note."""

from __future__ import annotations

from app.db import Database
from app.models import UserStatus
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_DELETE,
    USER_UPDATE,
    codes,
    events,
    notes_of,
    snapshot,
    uid,
    user_row,
)


async def test_changes_the_given_fields_only(gql: GraphQL, world: World) -> None:
    payload = await USER_UPDATE.ok(
        gql,
        {"userId": uid(world.member), "name": "Mem Ber", "metadata": {"tier": "gold"}},
        token=world.master,
    )

    user = payload["user"]
    assert (user["name"], user["metadata"]) == ("Mem Ber", {"tier": "gold"})
    assert (user["email"], user["isStaff"], user["status"]) == ("member@own.test", False, "ACTIVE")


async def test_every_change_writes_a_general_note_listing_old_and_new(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_UPDATE.ok(
        gql,
        {
            "userId": uid(world.member),
            "name": "Mem Ber",
            "email": " New.Member@Own.test",
            "isStaff": True,
        },
        token=world.master,
    )

    (note,) = await notes_of(db, world.member)
    assert note.category == "GENERAL"
    assert note.author_id.startswith("mky_")
    lines = note.body.splitlines()
    assert "email: member@own.test → new.member@own.test" in lines
    assert f"name: {world.member.name} → Mem Ber" in lines
    assert "isStaff: False → True" in lines
    assert len(lines) == 4  # a heading and the three changes


async def test_a_metadata_change_is_noted(gql: GraphQL, world: World, db: Database) -> None:
    await USER_UPDATE.ok(
        gql, {"userId": uid(world.member), "metadata": {"crm": 42}}, token=world.master
    )

    (note,) = await notes_of(db, world.member)
    assert 'metadata: {} → {"crm":42}' in note.body.splitlines()


async def test_the_change_is_audited_with_a_diff(gql: GraphQL, world: World, db: Database) -> None:
    await USER_UPDATE.ok(gql, {"userId": uid(world.member), "name": "Mem"}, token=world.master)

    (event,) = await events(db, "user.update")
    assert event.target_id == uid(world.member)
    assert event.diff == {"name": {"before": world.member.name, "after": "Mem"}}


async def test_nothing_changed_writes_no_note(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await USER_UPDATE.ok(
        gql,
        {
            "userId": uid(world.member),
            "name": world.member.name,
            "email": "MEMBER@own.test",
            "isStaff": False,
        },
        token=world.master,
    )

    assert payload["user"]["email"] == "member@own.test"
    assert await notes_of(db, world.member) == []
    assert await snapshot(db) == before


async def test_an_email_of_another_user_is_taken(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "email": "Owner@own.test"}, token=world.master
    )

    assert codes(payload) == ["EMAIL_TAKEN"]
    assert payload["userErrors"][0]["field"] == ["input", "email"]
    assert await snapshot(db) == before


async def test_a_malformed_email_is_invalid(gql: GraphQL, world: World) -> None:
    payload = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "email": "nope"}, token=world.master
    )

    assert codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["input", "email"]


async def test_metadata_must_be_an_object(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)
    for metadata in ([1, 2], "text", 3, True):
        payload = await USER_UPDATE.payload(
            gql, {"userId": uid(world.member), "metadata": metadata}, token=world.master
        )
        assert codes(payload) == ["INVALID"], metadata
        assert payload["userErrors"][0]["field"] == ["input", "metadata"]
    assert await snapshot(db) == before


async def test_oversized_metadata_is_too_long(gql: GraphQL, world: World) -> None:
    payload = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "metadata": {"blob": "x" * 20_000}}, token=world.master
    )

    assert codes(payload) == ["TOO_LONG"]


async def test_a_long_name_is_too_long(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "name": "x" * 201}, token=world.master
    )
    longest = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "name": "n" * 200}, token=world.master
    )

    assert codes(payload) == ["TOO_LONG"]
    assert payload["userErrors"][0]["field"] == ["input", "name"]
    assert longest["userErrors"] == []
    assert longest["user"]["name"] == "n" * 200
    row = await user_row(db, world.member)
    assert row is not None
    assert row.name == "n" * 200


async def test_other_fields_are_not_part_of_the_input(
    gql: GraphQL, world: World, db: Database
) -> None:
    response = await USER_UPDATE.send(
        gql, {"userId": uid(world.member), "status": "BLOCKED"}, token=world.master
    )

    assert response.data is None
    assert response.errors
    row = await user_row(db, world.member)
    assert row is not None
    assert row.status == UserStatus.ACTIVE


async def test_a_deleted_user_cannot_be_updated(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await USER_UPDATE.payload(
        gql, {"userId": uid(world.member), "name": "Back"}, token=world.master
    )

    assert codes(payload) == ["INVALID_STATE"]


async def test_suspension_is_not_changed_by_an_update(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    suspended = await factory.user(status=UserStatus.SUSPENDED, suspension_reason="Spam")

    payload = await USER_UPDATE.ok(gql, {"userId": uid(suspended), "name": "S"}, token=world.master)

    assert payload["user"]["status"] == "SUSPENDED"
    assert payload["user"]["suspension"]["reason"] == "Spam"
