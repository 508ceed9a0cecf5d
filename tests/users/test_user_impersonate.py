"""`userImpersonate(input: {userId, readOnly: true, minutes: 15})`: a short-lived, audited token
acting in the user's SESSION scope; a read-only one is refused on every mutation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.db import Database
from app.kit import clock
from app.models import UserStatus
from app.models.tables import LOGIN_SESSIONS
from tests.helpers import Factory, GraphQL, Mutation, World
from tests.users.support import (
    SESSION_REVOKE,
    USER_CREATE,
    USER_DELETE,
    USER_IMPERSONATE,
    USER_UPDATE,
    codes,
    count,
    events,
    snapshot,
    token_works,
    uid,
)

ME = "{ me { scope readOnly impersonatorId user { email } customers { slug } } }"
USER_EMAILS = "{ users { edges { node { email } } } }"


async def _impersonate(
    gql: GraphQL, world: World, token: str | None = None, **fields: Any
) -> dict[str, Any]:
    return await USER_IMPERSONATE.payload(
        gql, {"userId": uid(world.owner), **fields}, token=token or world.master
    )


async def _key_id(gql: GraphQL, world: World) -> str:
    data = await gql.ok("{ me { masterKey { id } } }", token=world.master)
    key_id: str = data["me"]["masterKey"]["id"]
    return key_id


async def test_defaults_to_read_only_for_15_minutes(gql: GraphQL, world: World) -> None:
    started = clock.now()

    payload = await _impersonate(gql, world)

    assert payload["userErrors"] == []
    assert payload["token"].startswith("admi_")
    assert payload["readOnly"] is True
    expires = datetime.fromisoformat(payload["expiresAt"])
    assert timedelta(minutes=15) <= expires - started < timedelta(minutes=16)
    assert payload["session"]["kind"] == "IMPERSONATION"
    assert payload["user"]["email"] == "owner@own.test"


async def test_the_token_acts_in_the_users_session_scope(gql: GraphQL, world: World) -> None:
    token = (await _impersonate(gql, world))["token"]

    me = (await gql.ok(ME, token=token))["me"]
    users = await gql.ok(USER_EMAILS, token=token)

    assert me["scope"] == "SESSION"
    assert me["readOnly"] is True
    assert me["user"]["email"] == "owner@own.test"
    assert me["customers"] == [{"slug": "own-co"}]
    emails = {edge["node"]["email"] for edge in users["users"]["edges"]}
    assert emails == {"owner@own.test", "admin@own.test", "member@own.test"}


async def test_the_token_is_refused_master_only_fields(gql: GraphQL, world: World) -> None:
    token = (await _impersonate(gql, world))["token"]

    response = await gql("{ userStats { total } }", token=token)

    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"userStats": None}


async def test_every_request_is_audited_with_impersonator_and_subject(
    gql: GraphQL, world: World, db: Database
) -> None:
    token = (await _impersonate(gql, world))["token"]

    await gql.ok(ME, token=token)
    await gql.ok(USER_EMAILS, token=token)

    recorded = await events(db, "impersonation.request")
    assert len(recorded) == 2
    key_id = await _key_id(gql, world)
    for event in recorded:
        assert (event.actor_type, event.actor_id) == ("USER", uid(world.owner))
        assert event.impersonator_id == key_id
        assert event.target_id == uid(world.owner)
        assert event.diff["channel"]["after"] == "graphql"
    assert recorded[0].diff["rootFields"]["after"] == ["me"]
    assert recorded[1].diff["rootFields"]["after"] == ["users"]
    assert "query" not in recorded[0].diff


async def test_a_staff_impersonator_is_recorded_as_the_staff_user(
    gql: GraphQL, world: World, db: Database
) -> None:
    token = (await _impersonate(gql, world, token=world.staff_token))["token"]

    me = (await gql.ok(ME, token=token))["me"]

    assert me["impersonatorId"] == uid(world.staff)
    (event,) = await events(db, "impersonation.request")
    assert event.impersonator_id == uid(world.staff)
    (issued,) = await events(db, "user.impersonate")
    assert issued.actor_id == uid(world.staff)


async def test_a_master_key_impersonator_is_recorded_as_the_key(gql: GraphQL, world: World) -> None:
    token = (await _impersonate(gql, world))["token"]

    me = (await gql.ok(ME, token=token))["me"]

    assert me["impersonatorId"] == await _key_id(gql, world)


async def test_a_read_only_token_is_refused_on_every_mutation(
    gql: GraphQL, world: World, db: Database
) -> None:
    token = (await _impersonate(gql, world))["token"]
    before = await snapshot(db)

    own_session = await SESSION_REVOKE.send(gql, {}, token=token)
    master_one = await USER_CREATE.send(gql, {"email": "x@example.com"}, token=token)

    assert own_session.codes == ["READ_ONLY_SESSION"]
    assert master_one.codes == ["READ_ONLY_SESSION"]
    assert await token_works(gql, token)
    after = await snapshot(db)
    assert after["login_sessions"] == before["login_sessions"]
    assert after["users"] == before["users"]


async def test_a_writable_token_can_run_a_session_scope_mutation(
    gql: GraphQL, world: World, db: Database
) -> None:
    issued = await _impersonate(gql, world, readOnly=False)
    assert issued["readOnly"] is False

    payload = await SESSION_REVOKE.ok(gql, {}, token=issued["token"])

    assert payload["session"]["id"] == issued["session"]["id"]
    assert not await token_works(gql, issued["token"])
    (event,) = await events(db, "session.revoke")
    assert event.actor_id == uid(world.owner)
    assert event.impersonator_id == await _key_id(gql, world)


async def test_a_writable_token_of_a_staff_user_never_gets_master_scope(
    gql: GraphQL, world: World
) -> None:
    payload = await USER_IMPERSONATE.payload(
        gql, {"userId": uid(world.staff), "readOnly": False}, token=world.master
    )
    token = payload["token"]

    me = (await gql.ok(ME, token=token))["me"]
    refused = await USER_CREATE.send(gql, {"email": "x@example.com"}, token=token)

    assert me["scope"] == "SESSION"
    assert refused.codes == ["FORBIDDEN"]


async def test_the_token_expires_after_its_minutes(gql: GraphQL, world: World) -> None:
    token = (await _impersonate(gql, world, minutes=5))["token"]

    with clock.travel(timedelta(minutes=4, seconds=50)):
        before_end = await token_works(gql, token)
    with clock.travel(timedelta(minutes=5, seconds=1)):
        after_end = await token_works(gql, token)

    assert before_end is True
    assert after_end is False


async def test_minutes_are_between_1_and_60(gql: GraphQL, world: World, db: Database) -> None:
    before = await count(db, LOGIN_SESSIONS)
    for minutes in (0, 61, -5):
        payload = await _impersonate(gql, world, minutes=minutes)
        assert codes(payload) == ["INVALID"], minutes
        assert payload["userErrors"][0]["field"] == ["input", "minutes"]
        assert payload["token"] is None
    assert await count(db, LOGIN_SESSIONS) == before
    for minutes in (1, 60):
        assert (await _impersonate(gql, world, minutes=minutes))["userErrors"] == []


async def test_an_operator_cannot_impersonate_themselves(gql: GraphQL, world: World) -> None:
    payload = await USER_IMPERSONATE.payload(
        gql, {"userId": uid(world.staff)}, token=world.staff_token
    )

    assert codes(payload) == ["INVALID"]
    assert payload["userErrors"][0]["field"] == ["input", "userId"]


async def test_a_deleted_user_cannot_be_impersonated(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await USER_IMPERSONATE.payload(gql, {"userId": uid(world.member)}, token=world.master)

    assert codes(payload) == ["INVALID_STATE"]


async def test_a_suspended_user_can_be_looked_at(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    suspended = await factory.user(status=UserStatus.SUSPENDED, suspension_reason="Spam")

    payload = await USER_IMPERSONATE.ok(gql, {"userId": uid(suspended)}, token=world.master)

    me = (await gql.ok(ME, token=payload["token"]))["me"]
    assert me["user"]["email"] == suspended.email


async def test_the_session_is_listed_on_the_user(gql: GraphQL, world: World) -> None:
    issued = await _impersonate(gql, world)

    data = await gql.ok(
        "query($id: ID!) { user(id: $id) { sessions { id kind readOnly clientAddr } } }",
        {"id": uid(world.owner)},
        token=world.master,
    )

    listed = {session["id"]: session for session in data["user"]["sessions"]}
    assert listed[issued["session"]["id"]] == {
        "id": issued["session"]["id"],
        "kind": "IMPERSONATION",
        "readOnly": True,
        "clientAddr": "203.0.113.7",
    }


async def test_revoking_the_master_key_ends_the_impersonations_it_started(
    gql: GraphQL, world: World
) -> None:
    token = (await _impersonate(gql, world))["token"]
    assert await token_works(gql, token)
    other_master = await Mutation("masterKeyCreate", "key").payload(
        gql, {"name": "other"}, token=world.master
    )
    revoked = await Mutation("masterKeyRevoke").payload(
        gql, {"masterKeyId": await _key_id(gql, world)}, token=other_master["key"]
    )
    assert revoked["userErrors"] == []
    assert not await token_works(gql, token)


async def test_a_staff_user_who_loses_staff_ends_their_impersonations(
    gql: GraphQL, world: World
) -> None:
    token = (await _impersonate(gql, world, token=world.staff_token))["token"]
    assert await token_works(gql, token)
    changed = await USER_UPDATE.payload(
        gql, {"userId": uid(world.staff), "isStaff": False}, token=world.master
    )
    assert changed["userErrors"] == []
    assert not await token_works(gql, token)
