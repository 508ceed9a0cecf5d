"""`userSuspend(input: {userId, reason, until?, durationHours?})` and `userUnsuspend`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.db import Database
from app.kit import clock
from app.models import UserStatus
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_BLOCK,
    USER_DELETE,
    USER_SUSPEND,
    USER_UNSUSPEND,
    codes,
    events,
    live_sessions,
    login,
    notes_of,
    snapshot,
    uid,
    user_detail,
)

USERS_BY_STATUS = """
query($status: UserStatus!) {
  users(filter: {status: $status}) { edges { node { email status } } }
}"""


async def _suspend(gql: GraphQL, world: World, **fields: object) -> dict[str, Any]:
    return await USER_SUSPEND.payload(
        gql, {"userId": uid(world.member), "reason": "Chargebacks", **fields}, token=world.master
    )


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ---------------------------------------------------------------- suspending


async def test_without_an_end_the_suspension_is_indefinite(gql: GraphQL, world: World) -> None:
    payload = await _suspend(gql, world)

    assert payload["userErrors"] == []
    user = payload["user"]
    assert user["status"] == "SUSPENDED"
    assert user["suspension"]["reason"] == "Chargebacks"
    assert user["suspension"]["until"] is None
    assert user["suspension"]["by"].startswith("mky_")


async def test_an_indefinite_suspension_still_holds_years_later(gql: GraphQL, world: World) -> None:
    await _suspend(gql, world)

    with clock.travel(timedelta(days=3650)):
        detail = await user_detail(gql, uid(world.member), world.master)

    assert detail["status"] == "SUSPENDED"


async def test_a_duration_sets_the_end(gql: GraphQL, world: World) -> None:
    started = clock.now()

    payload = await _suspend(gql, world, durationHours=48)

    until = _at(payload["user"]["suspension"]["until"])
    assert timedelta(hours=48) <= until - started < timedelta(hours=48, minutes=1)


async def test_an_explicit_end_is_kept(gql: GraphQL, world: World) -> None:
    until = (clock.now() + timedelta(days=3)).replace(microsecond=0)

    payload = await _suspend(gql, world, until=until.isoformat())

    assert _at(payload["user"]["suspension"]["until"]) == until


async def test_suspending_revokes_the_users_sessions(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    second = await factory.session_token(world.member)

    payload = await _suspend(gql, world)

    assert payload["revokedSessions"] == 2
    assert await live_sessions(db, world.member) == 0
    for token in (world.member_token, second):
        assert (await gql("{ me { scope } }", token=token)).status == 401


async def test_a_suspended_user_cannot_log_in(gql: GraphQL, world: World) -> None:
    await _suspend(gql, world)

    attempt = await login(gql, "member@own.test")

    assert attempt["userErrors"] == [{"code": "USER_SUSPENDED"}]
    assert attempt["token"] is None


async def test_suspending_writes_a_suspension_note(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _suspend(gql, world)

    (note,) = await notes_of(db, world.member)
    assert note.category == "SUSPENSION"
    assert note.body == "Suspended indefinitely: Chargebacks"


async def test_suspending_is_audited(gql: GraphQL, world: World, db: Database) -> None:
    await _suspend(gql, world, durationHours=1)

    (event,) = await events(db, "user.suspend")
    assert event.target_id == uid(world.member)
    assert event.diff["status"] == {"before": "ACTIVE", "after": "SUSPENDED"}
    assert event.diff["suspensionReason"]["after"] == "Chargebacks"


async def test_a_lapsed_suspension_reads_active_and_allows_login(
    gql: GraphQL, world: World
) -> None:
    await _suspend(gql, world, durationHours=1)

    with clock.travel(timedelta(hours=1, minutes=1)):
        detail = await user_detail(gql, uid(world.member), world.master)
        attempt = await login(gql, "member@own.test")
        active = await gql.ok(USERS_BY_STATUS, {"status": "ACTIVE"}, token=world.master)
        suspended = await gql.ok(USERS_BY_STATUS, {"status": "SUSPENDED"}, token=world.master)

    assert detail["status"] == "ACTIVE"
    assert detail["suspension"] is None
    assert attempt["userErrors"] == []
    assert attempt["token"]
    assert "member@own.test" in [edge["node"]["email"] for edge in active["users"]["edges"]]
    assert suspended["users"]["edges"] == []


async def test_a_suspension_holds_until_its_end(gql: GraphQL, world: World) -> None:
    await _suspend(gql, world, durationHours=1)

    with clock.travel(timedelta(minutes=59)):
        attempt = await login(gql, "member@own.test")
        active = await gql.ok(USERS_BY_STATUS, {"status": "ACTIVE"}, token=world.master)

    assert attempt["userErrors"] == [{"code": "USER_SUSPENDED"}]
    assert "member@own.test" not in [edge["node"]["email"] for edge in active["users"]["edges"]]


async def test_the_reason_is_required(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)
    for reason in ("", "   "):
        payload = await USER_SUSPEND.payload(
            gql, {"userId": uid(world.member), "reason": reason}, token=world.master
        )
        assert codes(payload) == ["REQUIRED"]
        assert payload["userErrors"][0]["field"] == ["input", "reason"]
    assert await snapshot(db) == before


async def test_the_reason_is_at_most_500_characters(gql: GraphQL, world: World) -> None:
    too_long = await USER_SUSPEND.payload(
        gql, {"userId": uid(world.member), "reason": "x" * 501}, token=world.master
    )
    longest = await USER_SUSPEND.payload(
        gql, {"userId": uid(world.member), "reason": "x" * 500}, token=world.master
    )

    assert codes(too_long) == ["TOO_LONG"]
    assert longest["userErrors"] == []
    assert longest["user"]["suspension"]["reason"] == "x" * 500
    detail = await user_detail(gql, uid(world.member), world.master)
    assert detail["suspension"]["reason"] == "x" * 500


async def test_an_end_in_the_past_is_invalid(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await _suspend(gql, world, until=(clock.now() - timedelta(minutes=1)).isoformat())

    assert codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["input", "until"]
    assert await snapshot(db) == before


async def test_an_end_without_a_time_zone_is_invalid(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await snapshot(db)

    # The DateTime scalar refuses a naive time for every argument, before the mutation runs.
    response = await USER_SUSPEND.send(
        gql,
        {"userId": uid(world.member), "reason": "Chargebacks", "until": "2999-01-01T00:00:00"},
        token=world.master,
    )

    assert response.status == 200
    assert response.data is None
    assert response.codes == ["GRAPHQL_VALIDATION_FAILED"]
    assert ".until" in response.errors[0]["message"]
    assert "time zone" in response.errors[0]["message"]
    assert await snapshot(db) == before


async def test_an_end_with_an_offset_is_kept_in_utc(gql: GraphQL, world: World) -> None:
    payload = await _suspend(gql, world, until="2999-01-01T09:30:00+02:00")

    assert payload["userErrors"] == []
    assert payload["user"]["suspension"]["until"] == "2999-01-01T07:30:00+00:00"


async def test_an_end_and_a_duration_together_are_invalid(gql: GraphQL, world: World) -> None:
    payload = await _suspend(
        gql, world, until=(clock.now() + timedelta(days=1)).isoformat(), durationHours=5
    )

    assert codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["input", "durationHours"]


async def test_a_duration_must_be_positive(gql: GraphQL, world: World) -> None:
    for hours in (0, -1):
        payload = await _suspend(gql, world, durationHours=hours)
        assert codes(payload) == ["INVALID"], hours
        assert payload["userErrors"][0]["field"] == ["input", "durationHours"]


async def test_a_blocked_user_cannot_be_suspended(gql: GraphQL, world: World, db: Database) -> None:
    await USER_BLOCK.ok(gql, {"userId": uid(world.member), "reason": "Fraud"}, token=world.master)
    before = await snapshot(db)

    payload = await _suspend(gql, world)

    assert codes(payload) == ["INVALID_STATE"]
    assert await snapshot(db) == before


async def test_a_deleted_user_cannot_be_suspended(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await _suspend(gql, world)

    assert codes(payload) == ["INVALID_STATE"]


# ---------------------------------------------------------------- lifting a suspension


async def test_unsuspending_makes_the_user_active_again(gql: GraphQL, world: World) -> None:
    await _suspend(gql, world)

    payload = await USER_UNSUSPEND.ok(
        gql, {"userId": uid(world.member), "reason": "Resolved"}, token=world.master
    )

    assert payload["user"]["status"] == "ACTIVE"
    assert payload["user"]["suspension"] is None
    assert (await login(gql, "member@own.test"))["token"]


async def test_unsuspending_writes_a_suspension_note(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _suspend(gql, world)

    await USER_UNSUSPEND.ok(
        gql, {"userId": uid(world.member), "reason": "Resolved"}, token=world.master
    )

    bodies = [(note.category, note.body) for note in await notes_of(db, world.member)]
    assert bodies[-1] == ("SUSPENSION", "Suspension lifted: Resolved")


async def test_unsuspending_without_a_reason(gql: GraphQL, world: World, db: Database) -> None:
    await _suspend(gql, world)

    await USER_UNSUSPEND.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert (await notes_of(db, world.member))[-1].body == "Suspension lifted."
    (event,) = await events(db, "user.unsuspend")
    assert event.diff["status"] == {"before": "SUSPENDED", "after": "ACTIVE"}


async def test_an_active_user_is_not_suspended(gql: GraphQL, world: World, db: Database) -> None:
    before = await snapshot(db)

    payload = await USER_UNSUSPEND.payload(gql, {"userId": uid(world.member)}, token=world.master)

    assert codes(payload) == ["INVALID_STATE"]
    assert payload["userErrors"][0]["field"] == ["input", "userId"]
    assert await snapshot(db) == before


async def test_a_lapsed_suspension_is_not_suspended(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    lapsed = await factory.user(
        status=UserStatus.SUSPENDED,
        suspension_reason="Spam",
        suspended_until=clock.now() - timedelta(minutes=1),
    )

    payload = await USER_UNSUSPEND.payload(gql, {"userId": uid(lapsed)}, token=world.master)

    assert codes(payload) == ["INVALID_STATE"]


async def test_a_blocked_user_is_not_unsuspended(gql: GraphQL, world: World) -> None:
    await USER_BLOCK.ok(gql, {"userId": uid(world.member), "reason": "Fraud"}, token=world.master)

    payload = await USER_UNSUSPEND.payload(gql, {"userId": uid(world.member)}, token=world.master)

    assert codes(payload) == ["INVALID_STATE"]
