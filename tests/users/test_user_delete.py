"""`userDelete(input: {userId, confirm: true, hard?: false})`: soft scrubs, hard removes."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.models import MemberRole, NoteCategory, UserStatus, metadata
from app.models.tables import (
    AUDIT_EVENTS,
    FEEDBACK,
    INVITATIONS,
    LOGIN_SESSIONS,
    MEMBERSHIPS,
    PASSWORD_RESET_TOKENS,
    USER_NOTES,
    USERS,
)
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_DELETE,
    USER_UPDATE,
    add_feedback,
    add_invitation,
    add_reset_token,
    codes,
    count,
    events,
    login,
    snapshot,
    token_works,
    uid,
    user_row,
)


def _removed(payload: dict[str, Any]) -> dict[str, int]:
    return {item["kind"]: item["count"] for item in payload["removed"]}


# ---------------------------------------------------------------- confirmation and owners


async def test_without_confirm_nothing_is_deleted(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)
    for given in ({"userId": uid(world.member)}, {"userId": uid(world.member), "confirm": False}):
        for hard in (False, True):
            payload = await USER_DELETE.payload(gql, {**given, "hard": hard}, token=world.master)
            assert payload["userErrors"] == [
                {
                    "field": ["input", "confirm"],
                    "message": "Deleting a user cannot be undone: repeat with `confirm: true`.",
                    "code": "CONFIRMATION_REQUIRED",
                }
            ]
    assert await snapshot(db) == before


async def test_the_last_owner_of_a_customer_cannot_be_deleted(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)
    for hard in (False, True):
        payload = await USER_DELETE.payload(
            gql, {"userId": uid(world.owner), "confirm": True, "hard": hard}, token=world.master
        )
        assert codes(payload) == ["LAST_OWNER"]
        assert payload["userErrors"][0]["field"] == ["input", "userId"]
    assert await snapshot(db) == before


async def test_an_owner_with_a_second_owner_can_be_deleted(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.member(world.own, await factory.user(), MemberRole.OWNER)

    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.owner), "confirm": True}, token=world.master
    )

    assert payload["user"]["status"] == "DELETED"


async def test_an_owner_is_refused_while_any_of_their_customers_would_lose_its_last_owner(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.member(world.own, await factory.user(), MemberRole.OWNER)
    await factory.member(world.other, world.owner, MemberRole.OWNER)  # other-co has two now
    solo = await factory.customer("solo-co")
    await factory.member(solo, world.owner, MemberRole.OWNER)

    payload = await USER_DELETE.payload(
        gql, {"userId": uid(world.owner), "confirm": True}, token=world.master
    )

    assert codes(payload) == ["LAST_OWNER"]


async def test_an_admin_member_can_be_deleted(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.admin), "confirm": True}, token=world.master
    )

    assert payload["userErrors"] == []
    assert payload["deletedUserId"] == uid(world.admin)
    assert payload["user"]["status"] == "DELETED"
    row = await user_row(db, world.admin)
    assert row is not None
    assert row.status == UserStatus.DELETED
    assert await count(db, MEMBERSHIPS, MEMBERSHIPS.c.user_id == world.admin.id) == 0


# ---------------------------------------------------------------- soft delete


async def test_soft_delete_scrubs_personal_data_and_keeps_the_record(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_UPDATE.ok(
        gql, {"userId": uid(world.member), "metadata": {"phone": "+1 555"}}, token=world.master
    )

    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True}, token=world.master
    )

    assert payload["deletedUserId"] == uid(world.member)
    user = payload["user"]
    assert user["id"] == uid(world.member)
    assert user["status"] == "DELETED"
    assert user["name"] == ""
    assert user["email"] != "member@own.test"
    assert user["email"].endswith(".invalid")
    row = await user_row(db, world.member)
    assert row is not None
    assert row.status == UserStatus.DELETED
    assert row.password_hash is None
    assert row.profile == {}
    assert row.deleted_at is not None


async def test_soft_delete_revokes_sessions(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    second = await factory.session_token(world.member)

    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True}, token=world.master
    )

    assert _removed(payload)["sessions"] == 2
    assert not await token_works(gql, world.member_token)
    assert not await token_works(gql, second)


async def test_soft_delete_ends_memberships(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True}, token=world.master
    )

    assert _removed(payload)["memberships"] == 1
    assert await count(db, MEMBERSHIPS, MEMBERSHIPS.c.user_id == world.member.id) == 0


async def test_soft_delete_keeps_the_audit_trail_and_notes(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.note(world.member, "Called support", NoteCategory.SUPPORT)
    await USER_UPDATE.ok(gql, {"userId": uid(world.member), "name": "M"}, token=world.master)
    events_before = await count(db, AUDIT_EVENTS)

    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    assert await count(db, AUDIT_EVENTS) == events_before + 1
    assert await count(db, USER_NOTES, USER_NOTES.c.user_id == world.member.id) == 2
    assert await count(db, USERS, USERS.c.id == world.member.id) == 1


async def test_the_audit_event_of_a_soft_delete_holds_no_personal_data(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    (event,) = await events(db, "user.delete")
    assert event.target_id == uid(world.member)
    text = repr(tuple(event))
    assert "member@own.test" not in text
    assert world.member.name not in text
    assert event.diff["status"] == {"before": "ACTIVE", "after": "DELETED"}


async def test_a_soft_deleted_user_cannot_log_in(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    attempt = await login(gql, "member@own.test")

    assert attempt["token"] is None
    assert codes(attempt) == ["INVALID_CREDENTIALS"]


async def test_a_deleted_user_is_not_deleted_twice(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)
    before = await snapshot(db)

    payload = await USER_DELETE.payload(
        gql, {"userId": uid(world.member), "confirm": True}, token=world.master
    )

    assert codes(payload) == ["INVALID_STATE"]
    assert await snapshot(db) == before


# ---------------------------------------------------------------- hard delete


async def _everything_hanging_off(factory: Factory, world: World) -> None:
    """The member gets a second session, an impersonation they started, notes, an invitation
    they sent, feedback and a reset token (their world session and membership exist already)."""
    await factory.session_token(world.member)
    await factory.session_token(world.admin, impersonator=world.member, read_only=True)
    await factory.note(world.member, "One")
    await factory.note(world.member, "Two", NoteCategory.SUPPORT)
    await add_invitation(factory, world.own.id, world.member)
    await add_feedback(factory, world.member)
    await add_reset_token(factory, world.member)


async def test_hard_delete_reports_how_many_rows_of_each_kind_went(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await _everything_hanging_off(factory, world)

    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    assert payload["user"] is None
    assert payload["deletedUserId"] == uid(world.member)
    assert _removed(payload) == {
        "sessions": 3,
        "memberships": 1,
        "notes": 2,
        "invitations": 1,
        "feedback": 1,
        "passwordResetTokens": 1,
        "users": 1,
    }


async def test_hard_delete_leaves_no_rows_behind(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await _everything_hanging_off(factory, world)
    member = world.member.id

    await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    assert await count(db, USERS, USERS.c.id == member) == 0
    assert await count(db, LOGIN_SESSIONS, LOGIN_SESSIONS.c.user_id == member) == 0
    assert await count(db, LOGIN_SESSIONS, LOGIN_SESSIONS.c.impersonator_id == member) == 0
    assert await count(db, MEMBERSHIPS, MEMBERSHIPS.c.user_id == member) == 0
    assert await count(db, USER_NOTES, USER_NOTES.c.user_id == member) == 0
    assert await count(db, INVITATIONS, INVITATIONS.c.invited_by_user_id == member) == 0
    assert await count(db, FEEDBACK, FEEDBACK.c.user_id == member) == 0
    assert await count(db, PASSWORD_RESET_TOKENS, PASSWORD_RESET_TOKENS.c.user_id == member) == 0


async def test_hard_delete_keeps_everyone_elses_rows(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await _everything_hanging_off(factory, world)
    await factory.note(world.admin, "Admin's own note")
    await add_feedback(factory, world.admin)
    others = {
        "users": await count(db, USERS) - 1,
        "memberships": await count(db, MEMBERSHIPS) - 1,
        "notes": await count(db, USER_NOTES) - 2,
        "feedback": await count(db, FEEDBACK) - 1,
        "sessions": await count(db, LOGIN_SESSIONS) - 3,
    }

    await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    assert {
        "users": await count(db, USERS),
        "memberships": await count(db, MEMBERSHIPS),
        "notes": await count(db, USER_NOTES),
        "feedback": await count(db, FEEDBACK),
        "sessions": await count(db, LOGIN_SESSIONS),
    } == others


async def test_hard_delete_keeps_the_audit_trail(gql: GraphQL, world: World, db: Database) -> None:
    await USER_UPDATE.ok(gql, {"userId": uid(world.member), "name": "M"}, token=world.master)

    await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    assert [event.action for event in await events(db)][-2:] == ["user.update", "user.hard_delete"]
    chain = await gql.ok("{ auditChainVerify { ok } }", token=world.master)
    assert chain["auditChainVerify"]["ok"] is True


async def test_a_soft_deleted_user_can_be_hard_deleted_later(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    assert _removed(payload)["users"] == 1
    assert await user_row(db, world.member) is None


async def test_a_hard_deleted_user_is_gone_from_queries(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(
        gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
    )

    found = await gql.ok(
        "query($id: ID!) { user(id: $id) { id } }", {"id": uid(world.member)}, token=world.master
    )

    assert found["user"] is None


async def test_a_dry_run_of_a_hard_delete_removes_nothing(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await _everything_hanging_off(factory, world)
    before = await snapshot(db)

    payload = await USER_DELETE.payload(
        gql,
        {"userId": uid(world.member), "confirm": True, "hard": True},
        token=world.master,
        dry_run=True,
    )

    assert payload["userErrors"] == []
    assert _removed(payload)["users"] == 1
    assert await snapshot(db) == before


async def test_a_table_added_later_is_counted_and_removed_through_its_foreign_key(
    gql: GraphQL, world: World, db: Database
) -> None:
    """No list of tables to keep: a new domain's table is found from its foreign key, and so is
    a table hanging off that one."""
    badges = sa.Table(
        "test_badges",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE")),
    )
    stamps = sa.Table(
        "test_badge_stamps",
        metadata,
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("badge_id", sa.Uuid, sa.ForeignKey("test_badges.id", ondelete="CASCADE")),
    )
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    try:
        async with db.write_engine.begin() as connection:
            await connection.run_sync(lambda sync: metadata.create_all(sync, [badges, stamps]))
            await connection.execute(
                badges.insert(),
                [
                    {"id": mine, "user_id": world.member.id},
                    {"id": uuid.uuid4(), "user_id": world.member.id},
                    {"id": theirs, "user_id": world.owner.id},
                ],
            )
            await connection.execute(
                stamps.insert(),
                [{"id": uuid.uuid4(), "badge_id": mine} for _ in range(3)]
                + [{"id": uuid.uuid4(), "badge_id": theirs}],
            )

        payload = await USER_DELETE.ok(
            gql, {"userId": uid(world.member), "confirm": True, "hard": True}, token=world.master
        )

        removed = _removed(payload)
        assert removed["testBadges"] == 2
        assert removed["testBadgeStamps"] == 3
        assert await count(db, badges, badges.c.user_id == world.member.id) == 0
        assert await count(db, stamps, stamps.c.badge_id == mine) == 0
        assert await count(db, badges) == 1
        assert await count(db, stamps) == 1
    finally:
        async with db.write_engine.begin() as connection:
            await connection.run_sync(lambda sync: metadata.drop_all(sync, [stamps, badges]))
        metadata.remove(stamps)
        metadata.remove(badges)
