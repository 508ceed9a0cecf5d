"""`userNoteCreate(input: {userId, category, body})` and `userNoteDelete(input: {noteId})`."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.kit.ids import encode
from app.models import NoteCategory
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_NOTE_CREATE,
    USER_NOTE_DELETE,
    codes,
    events,
    notes_of,
    snapshot,
    uid,
    user_detail,
)

NODE = "query($id: ID!) { node(id: $id) { id ... on UserNote { body } } }"


async def _add(
    gql: GraphQL, world: World, body: str = "Asked about invoices", category: str = "SUPPORT"
) -> dict[str, Any]:
    return await USER_NOTE_CREATE.payload(
        gql,
        {"userId": uid(world.member), "category": category, "body": body},
        token=world.master,
    )


@pytest.mark.parametrize("category", [category.value for category in NoteCategory])
async def test_a_note_of_each_category(
    gql: GraphQL, world: World, db: Database, category: str
) -> None:
    payload = await _add(gql, world, category=category)

    assert payload["userErrors"] == []
    note = payload["note"]
    assert note["id"].startswith("not_")
    assert (note["category"], note["body"]) == (category, "Asked about invoices")
    assert note["authorId"].startswith("mky_")
    (row,) = await notes_of(db, world.member)
    assert row.category == category


async def test_the_category_defaults_to_general(gql: GraphQL, world: World) -> None:
    payload = await USER_NOTE_CREATE.ok(
        gql, {"userId": uid(world.member), "body": "Hello"}, token=world.master
    )

    assert payload["note"]["category"] == "GENERAL"


async def test_an_unknown_category_is_rejected_by_the_schema(gql: GraphQL, world: World) -> None:
    response = await USER_NOTE_CREATE.send(
        gql, {"userId": uid(world.member), "category": "GOSSIP", "body": "x"}, token=world.master
    )

    assert response.data is None
    assert response.errors


async def test_notes_are_listed_on_the_user_newest_first(gql: GraphQL, world: World) -> None:
    for body in ("first", "second", "third"):
        await _add(gql, world, body=body)

    detail = await user_detail(gql, uid(world.member), world.master)

    assert detail["notesCount"] == 3
    assert detail["notes"]["totalCount"] == 3
    bodies = [edge["node"]["body"] for edge in detail["notes"]["edges"]]
    assert bodies == ["third", "second", "first"]


async def test_the_body_is_trimmed(gql: GraphQL, world: World) -> None:
    payload = await _add(gql, world, body="  padded  ")

    assert payload["note"]["body"] == "padded"


async def test_the_body_is_at_most_5000_characters(
    gql: GraphQL, world: World, db: Database
) -> None:
    body = "".join(chr(ord("a") + n % 26) for n in range(5000))
    longest = await _add(gql, world, body=body)
    too_long = await _add(gql, world, body=body + "z")

    assert longest["userErrors"] == []
    assert longest["note"]["body"] == body
    assert codes(too_long) == ["TOO_LONG"]
    assert too_long["userErrors"][0]["field"] == ["input", "body"]
    # Kept whole, as stored and as read back.
    assert [note.body for note in await notes_of(db, world.member)] == [body]
    listed = await gql.ok(NODE, {"id": longest["note"]["id"]}, token=world.master)
    assert listed["node"]["body"] == body


async def test_the_body_is_required(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await _add(gql, world, body="  ")

    assert codes(payload) == ["REQUIRED"]
    assert await snapshot(db) == before


async def test_a_note_is_audited(gql: GraphQL, world: World, db: Database) -> None:
    payload = await _add(gql, world)

    (event,) = await events(db, "user_note.create")
    assert event.target_id == payload["note"]["id"]
    assert event.diff["userId"]["after"] == uid(world.member)
    assert event.diff["category"]["after"] == "SUPPORT"


async def test_a_staff_author_is_recorded(gql: GraphQL, world: World) -> None:
    payload = await USER_NOTE_CREATE.ok(
        gql, {"userId": uid(world.member), "body": "Hi"}, token=world.staff_token
    )

    assert payload["note"]["authorId"] == uid(world.staff)


async def test_a_note_is_a_node_for_masters_only(gql: GraphQL, world: World) -> None:
    note_id = (await _add(gql, world))["note"]["id"]

    as_master = await gql.ok(NODE, {"id": note_id}, token=world.master)
    as_admin = await gql.ok(NODE, {"id": note_id}, token=world.owner_token)

    assert as_master["node"] == {"id": note_id, "body": "Asked about invoices"}
    assert as_admin["node"] is None


async def test_deleting_a_note(gql: GraphQL, world: World, factory: Factory, db: Database) -> None:
    note = await factory.note(world.member, "Wrong user", NoteCategory.SUPPORT)
    kept = await factory.note(world.member, "Keep me")

    payload = await USER_NOTE_DELETE.ok(gql, {"noteId": encode("not", note.id)}, token=world.master)

    assert payload["deletedNoteId"] == encode("not", note.id)
    assert [row.id for row in await notes_of(db, world.member)] == [kept.id]


async def test_deleting_a_note_is_audited_with_what_it_said(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    note = await factory.note(world.member, "Wrong user", NoteCategory.SUPPORT)

    await USER_NOTE_DELETE.ok(gql, {"noteId": encode("not", note.id)}, token=world.master)

    (event,) = await events(db, "user_note.delete")
    assert event.target_id == encode("not", note.id)
    assert event.diff["body"] == {"before": "Wrong user", "after": None}


async def test_a_deleted_note_is_not_found_the_second_time(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    note = await factory.note(world.member)
    await USER_NOTE_DELETE.ok(gql, {"noteId": encode("not", note.id)}, token=world.master)

    again = await USER_NOTE_DELETE.payload(
        gql, {"noteId": encode("not", note.id)}, token=world.master
    )

    assert codes(again) == ["NOT_FOUND"]
    assert again["userErrors"][0]["field"] == ["input", "noteId"]
