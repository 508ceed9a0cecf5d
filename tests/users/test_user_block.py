"""`userBlock` / `userUnblock`: indefinite, for abuse; login refused with a distinct code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.db import Database
from app.kit import clock
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_BLOCK,
    USER_DELETE,
    USER_SUSPEND,
    USER_UNBLOCK,
    codes,
    events,
    live_sessions,
    login,
    notes_of,
    snapshot,
    token_works,
    uid,
    user_detail,
)


async def _block(gql: GraphQL, world: World, reason: str = "Card testing") -> dict[str, Any]:
    return await USER_BLOCK.payload(
        gql, {"userId": uid(world.member), "reason": reason}, token=world.master
    )


async def test_blocking_sets_status_and_reason(gql: GraphQL, world: World) -> None:
    payload = await _block(gql, world)

    assert payload["userErrors"] == []
    user = payload["user"]
    assert user["status"] == "BLOCKED"
    assert user["block"]["reason"] == "Card testing"
    assert user["block"]["at"] is not None
    assert user["suspension"] is None


async def test_a_block_has_no_end(gql: GraphQL, world: World) -> None:
    await _block(gql, world)

    with clock.travel(timedelta(days=3650)):
        detail = await user_detail(gql, uid(world.member), world.master)
        attempt = await login(gql, "member@own.test")

    assert detail["status"] == "BLOCKED"
    assert attempt["userErrors"] == [{"code": "USER_BLOCKED"}]


async def test_a_blocked_user_gets_a_distinct_login_code(gql: GraphQL, world: World) -> None:
    await _block(gql, world)

    attempt = await login(gql, "member@own.test")

    assert attempt["userErrors"] == [{"code": "USER_BLOCKED"}]
    assert attempt["token"] is None


async def test_blocking_revokes_sessions_and_their_tokens_stop_working(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    second = await factory.session_token(world.member)

    payload = await _block(gql, world)

    assert payload["revokedSessions"] == 2
    assert await live_sessions(db, world.member) == 0
    assert not await token_works(gql, world.member_token)
    assert not await token_works(gql, second)


async def test_blocking_writes_a_note_and_an_audit_event(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _block(gql, world)

    (note,) = await notes_of(db, world.member)
    assert (note.category, note.body) == ("SUSPENSION", "Blocked: Card testing")
    (event,) = await events(db, "user.block")
    assert event.diff["status"] == {"before": "ACTIVE", "after": "BLOCKED"}
    assert event.diff["blockReason"] == {"before": None, "after": "Card testing"}


async def test_blocking_replaces_a_suspension(gql: GraphQL, world: World) -> None:
    await USER_SUSPEND.ok(gql, {"userId": uid(world.member), "reason": "Spam"}, token=world.master)

    payload = await _block(gql, world)

    assert payload["user"]["status"] == "BLOCKED"
    assert payload["user"]["suspension"] is None


async def test_the_reason_is_required(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await _block(gql, world, reason=" ")

    assert codes(payload) == ["REQUIRED"]
    assert payload["userErrors"][0]["field"] == ["input", "reason"]
    assert await snapshot(db) == before


async def test_the_reason_is_at_most_500_characters(gql: GraphQL, world: World) -> None:
    payload = await _block(gql, world, reason="x" * 501)
    longest = await _block(gql, world, reason="y" * 500)

    assert codes(payload) == ["TOO_LONG"]
    assert longest["userErrors"] == []
    assert longest["user"]["block"]["reason"] == "y" * 500
    detail = await user_detail(gql, uid(world.member), world.master)
    assert detail["block"]["reason"] == "y" * 500


async def test_a_blocked_user_cannot_be_blocked_again(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _block(gql, world)
    before = await snapshot(db)

    payload = await _block(gql, world, reason="Again")

    assert codes(payload) == ["INVALID_STATE"]
    assert await snapshot(db) == before


async def test_a_deleted_user_cannot_be_blocked(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await _block(gql, world)

    assert codes(payload) == ["INVALID_STATE"]


async def test_unblocking_allows_login_again(gql: GraphQL, world: World, db: Database) -> None:
    await _block(gql, world)

    payload = await USER_UNBLOCK.ok(
        gql, {"userId": uid(world.member), "reason": "Appeal accepted"}, token=world.master
    )

    assert payload["user"]["status"] == "ACTIVE"
    assert payload["user"]["block"] is None
    assert (await login(gql, "member@own.test"))["token"]
    assert (await notes_of(db, world.member))[-1].body == "Unblocked: Appeal accepted"


async def test_an_unblock_is_audited(gql: GraphQL, world: World, db: Database) -> None:
    await _block(gql, world)

    await USER_UNBLOCK.ok(gql, {"userId": uid(world.member)}, token=world.master)

    (event,) = await events(db, "user.unblock")
    assert event.diff["status"] == {"before": "BLOCKED", "after": "ACTIVE"}


async def test_a_user_who_is_not_blocked_cannot_be_unblocked(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)

    payload = await USER_UNBLOCK.payload(gql, {"userId": uid(world.member)}, token=world.master)

    assert codes(payload) == ["INVALID_STATE"]
    assert await snapshot(db) == before


async def test_blocking_an_operator_ends_the_impersonations_they_started(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    started = await factory.session_token(world.member, impersonator=world.staff)

    await USER_BLOCK.ok(gql, {"userId": uid(world.staff), "reason": "Rogue"}, token=world.master)

    assert not await token_works(gql, started)
