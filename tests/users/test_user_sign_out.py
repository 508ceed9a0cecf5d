"""`userSignOut(input: {userId})`: force sign-out, revoking every session of the user."""

from __future__ import annotations

from datetime import timedelta

from app.db import Database
from app.kit import clock
from tests.helpers import Factory, GraphQL, World
from tests.users.support import (
    USER_SIGN_OUT,
    events,
    live_sessions,
    login,
    token_works,
    uid,
)


async def test_revokes_every_session_and_counts_them(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    phone = await factory.session_token(world.member)
    watched = await factory.session_token(world.member, impersonator=world.staff, read_only=True)

    payload = await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert payload["revokedCount"] == 3
    assert payload["user"]["id"] == uid(world.member)
    assert await live_sessions(db, world.member) == 0
    for token in (world.member_token, phone, watched):
        assert not await token_works(gql, token)


async def test_already_revoked_sessions_are_not_counted(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.session_token(world.member, revoked=True)

    payload = await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert payload["revokedCount"] == 1


async def test_a_user_without_sessions_signs_out_nothing(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    user = await factory.user()

    payload = await USER_SIGN_OUT.ok(gql, {"userId": uid(user)}, token=world.master)

    assert payload["revokedCount"] == 0


async def test_other_users_keep_their_sessions(gql: GraphQL, world: World) -> None:
    await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert await token_works(gql, world.admin_token)
    assert await token_works(gql, world.owner_token)


async def test_the_user_may_log_in_again(gql: GraphQL, world: World) -> None:
    await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert (await login(gql, "member@own.test"))["token"]


async def test_signing_out_is_audited_with_the_count(
    gql: GraphQL, world: World, db: Database
) -> None:
    await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    (event,) = await events(db, "user.sign_out")
    assert event.target_id == uid(world.member)
    assert event.diff == {"revokedSessions": {"before": None, "after": 1}}


async def test_impersonations_the_user_started_end_too(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    started = await factory.session_token(world.member, impersonator=world.staff)

    await USER_SIGN_OUT.ok(gql, {"userId": uid(world.staff)}, token=world.master)

    assert not await token_works(gql, world.staff_token)
    assert not await token_works(gql, started)


async def test_expired_sessions_are_not_counted(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.session_token(
        world.member,
        created_at=clock.now() - timedelta(hours=3),
        expires_in=timedelta(hours=1),
    )

    payload = await USER_SIGN_OUT.ok(gql, {"userId": uid(world.member)}, token=world.master)

    assert payload["revokedCount"] == 1
