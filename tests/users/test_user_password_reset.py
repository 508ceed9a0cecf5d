"""`userPasswordReset(input: {userId})`: a one-time link, its token hashed at rest, valid 1 h.

Consuming the link (`POST /v1/password-reset`) is tested in tests/rest/test_users_rest.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash
from app.models.tables import PASSWORD_RESET_TOKENS
from app.settings import Settings
from tests.helpers import GraphQL, World
from tests.users.support import (
    NEW_PASSWORD,
    USER_DELETE,
    USER_PASSWORD_RESET,
    codes,
    complete_reset,
    count,
    events,
    everything_as_text,
    login,
    notes_of,
    reset_token_of,
    reset_token_rows,
    rest_error,
    uid,
)


async def _issue(gql: GraphQL, world: World) -> dict[str, Any]:
    return await USER_PASSWORD_RESET.ok(gql, {"userId": uid(world.member)}, token=world.master)


async def test_returns_a_one_time_link_to_the_app(
    gql: GraphQL, world: World, settings: Settings
) -> None:
    started = clock.now()

    payload = await _issue(gql, world)

    url = payload["resetUrl"]
    assert url.startswith(f"{settings.public_url}/reset-password?token=admr_")
    assert len(reset_token_of(url)) == len("admr_") + 40
    expires = datetime.fromisoformat(payload["expiresAt"])
    assert timedelta(minutes=59) < expires - started <= timedelta(hours=1, seconds=5)


async def test_the_token_is_stored_only_as_a_hash(gql: GraphQL, world: World, db: Database) -> None:
    payload = await _issue(gql, world)
    token = reset_token_of(payload["resetUrl"])

    (stored,) = await reset_token_rows(db, world.member)
    assert stored.token_hash == token_hash(token)
    assert token not in await everything_as_text(db)
    assert token[len("admr_") :] not in await everything_as_text(db)


async def test_issuing_writes_a_password_reset_note(
    gql: GraphQL, world: World, db: Database
) -> None:
    await _issue(gql, world)

    (note,) = await notes_of(db, world.member)
    assert note.category == "PASSWORD_RESET"
    assert note.author_id.startswith("mky_")


async def test_issuing_is_audited_without_the_link(
    gql: GraphQL, world: World, db: Database
) -> None:
    payload = await _issue(gql, world)

    (event,) = await events(db, "user.password_reset")
    assert event.target_id == uid(world.member)
    assert reset_token_of(payload["resetUrl"]) not in repr(event.diff)
    assert "reset-password" not in repr(event.diff)


async def test_a_second_link_retires_the_first(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    first = reset_token_of((await _issue(gql, world))["resetUrl"])
    second = reset_token_of((await _issue(gql, world))["resetUrl"])

    retired = await complete_reset(client, first)
    used = await complete_reset(client, second)

    assert retired.status_code == 400
    assert rest_error(retired)["code"] in {"TOKEN_USED", "TOKEN_INVALID"}
    assert used.status_code == 200, used.text
    assert used.json() == {"ok": True, "userId": uid(world.member)}
    unused = PASSWORD_RESET_TOKENS.c.used_at.is_(None)
    assert await count(db, PASSWORD_RESET_TOKENS, unused) == 0
    assert (await login(gql, "member@own.test", NEW_PASSWORD))["token"]


async def test_a_dry_run_issues_no_link(gql: GraphQL, world: World, db: Database) -> None:
    payload = await USER_PASSWORD_RESET.payload(
        gql, {"userId": uid(world.member)}, token=world.master, dry_run=True
    )

    assert payload["userErrors"] == []
    assert payload["resetUrl"] is None
    assert await reset_token_rows(db, world.member) == []
    assert await notes_of(db, world.member) == []


async def test_a_replay_does_not_return_the_link_again(
    gql: GraphQL, world: World, db: Database
) -> None:
    first = await USER_PASSWORD_RESET.payload(
        gql, {"userId": uid(world.member)}, token=world.master, key="reset-1"
    )
    replay = await USER_PASSWORD_RESET.send(
        gql, {"userId": uid(world.member)}, token=world.master, key="reset-1"
    )

    assert first["resetUrl"]
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.data["userPasswordReset"]["resetUrl"] is None
    assert replay.data["userPasswordReset"]["expiresAt"] == first["expiresAt"]
    assert len(await reset_token_rows(db, world.member)) == 1


async def test_a_deleted_user_gets_no_link(gql: GraphQL, world: World) -> None:
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    payload = await USER_PASSWORD_RESET.payload(
        gql, {"userId": uid(world.member)}, token=world.master
    )

    assert codes(payload) == ["INVALID_STATE"]
    assert payload["resetUrl"] is None
