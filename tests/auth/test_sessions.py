"""Logins, session tokens and their expiry, login throttling, logout (docs/architecture.md: scopes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.kit import clock
from app.kit.crypto import token_hash
from app.models import UserStatus
from app.models.tables import LOGIN_SESSIONS, USERS
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, Response, World, gid
from tests.support import (
    CLIENT_ADDR,
    audit_events,
    client_at,
    counts,
    rows,
    session_id,
    session_row,
)

LOGIN = Mutation(
    "sessionCreate",
    "token expiresAt viewer { id email } "
    "session { id kind readOnly clientAddr userAgent expiresAt revokedAt }",
)
REVOKE = Mutation("sessionRevoke", "session { id revokedAt }", user_errors="field code")

ME = "{ me { user { email } } }"


async def login(
    gql: GraphQL, email: str, password: str = DEFAULT_PASSWORD, *, dry_run: bool = False
) -> dict[str, Any]:
    return await LOGIN.payload(gql, {"email": email, "password": password}, dry_run=dry_run)


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def assert_unauthenticated(gql: GraphQL, token: str) -> Response:
    response = await gql(ME, token=token)
    assert response.status == 401, response.body
    assert response.codes == ["UNAUTHENTICATED"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    return response


# ---------------------------------------------------------------- logging in


async def test_login_returns_a_working_token(gql: GraphQL, factory: Factory, db: Any) -> None:
    user = await factory.user("ada@example.com")
    before = clock.now()
    payload = await login(gql, "ada@example.com")
    assert payload["userErrors"] == []
    token = payload["token"]
    assert token.startswith("adms_")
    assert payload["viewer"] == {"id": gid("usr", user), "email": "ada@example.com"}
    assert payload["session"]["kind"] == "LOGIN"
    assert payload["session"]["readOnly"] is False
    assert payload["session"]["clientAddr"] == CLIENT_ADDR
    assert payload["session"]["revokedAt"] is None
    expires = datetime.fromisoformat(payload["expiresAt"])
    assert timedelta(hours=11, minutes=59) < expires - before <= timedelta(hours=12, minutes=1)
    assert payload["session"]["expiresAt"] == payload["expiresAt"]
    assert await gql.ok(ME, token=token) == {"me": {"user": {"email": "ada@example.com"}}}

    # Only the token's hash is stored.
    stored = await rows(db, sa.select(LOGIN_SESSIONS))
    assert len(stored) == 1
    assert stored[0].token_hash == token_hash(token)
    assert token not in str(stored[0]._mapping)

    # The login is audited as the user, without the token.
    events = await audit_events(db)
    assert [event.action for event in events] == ["session.create"]
    assert events[0].actor_type == "USER"
    assert events[0].actor_id == gid("usr", user)
    assert events[0].client_addr == CLIENT_ADDR
    assert set(events[0].diff) == {"sessionId", "expiresAt"}
    assert token not in str(events[0].diff)


async def test_login_records_last_seen_and_user_agent(
    gql: GraphQL, factory: Factory, db: Any
) -> None:
    await factory.user("ada@example.com")
    response = await LOGIN.send(
        gql,
        {"email": "ada@example.com", "password": DEFAULT_PASSWORD},
        headers={"User-Agent": "admiral-tests/1.0"},
    )
    assert response.data["sessionCreate"]["session"]["userAgent"] == "admiral-tests/1.0"
    user = (await rows(db, sa.select(USERS.c.last_seen_at)))[0]
    assert user.last_seen_at is not None


async def test_login_email_is_trimmed_and_case_insensitive(gql: GraphQL, factory: Factory) -> None:
    await factory.user("ada@example.com")
    payload = await login(gql, "  ADA@Example.COM ")
    assert payload["userErrors"] == []
    assert payload["viewer"]["email"] == "ada@example.com"


async def test_passwords_are_hashed_with_argon2id(app: Starlette, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in user.password_hash
    # The app's own hasher is argon2id too, and it verifies what it made.
    passwords = app.state.runtime.passwords
    made = passwords.hash("another long password")
    assert made.startswith("$argon2id$")
    assert passwords.verify(made, "another long password")
    assert not passwords.verify(made, "another long passwort")


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "wrong password here"),
        ("nobody@example.com", DEFAULT_PASSWORD),
        ("ADA@example.com", DEFAULT_PASSWORD.upper()),
    ],
    ids=["wrong-password", "unknown-email", "password-is-case-sensitive"],
)
async def test_bad_credentials_change_nothing(
    gql: GraphQL, factory: Factory, db: Any, email: str, password: str
) -> None:
    await factory.user("ada@example.com")
    before = await counts(db)
    payload = await login(gql, email, password)
    assert codes(payload) == ["INVALID_CREDENTIALS"]
    # The same message whether or not the account exists.
    assert payload["userErrors"][0]["message"] == "Wrong email or password."
    assert payload["token"] is None
    assert payload["viewer"] is None
    after = await counts(db)
    assert after["login_sessions"] == before["login_sessions"] == 0
    assert after["audit_events"] == before["audit_events"]
    # Only the failure itself is counted, for throttling.
    assert after["login_failures"] == before["login_failures"] + 1


async def test_user_without_password_cannot_log_in(gql: GraphQL, factory: Factory) -> None:
    await factory.user("sso@example.com", password=None)
    payload = await login(gql, "sso@example.com", "")
    assert codes(payload) == ["INVALID_CREDENTIALS"]


@pytest.mark.parametrize("email", ["", "   ", "not-an-email", "a@" + "b" * 320 + ".com"])
async def test_malformed_email_is_a_user_error(gql: GraphQL, db: Any, email: str) -> None:
    before = await counts(db)
    payload = await login(gql, email, "whatever password")
    assert payload["userErrors"] == [
        {"field": ["input", "email"], "message": "Enter a valid email address.", "code": "INVALID"}
    ]
    assert await counts(db) == before


async def test_dry_run_login_issues_nothing(gql: GraphQL, factory: Factory, db: Any) -> None:
    user = await factory.user("ada@example.com")
    before = await counts(db)
    payload = await login(gql, "ada@example.com", dry_run=True)
    assert payload["userErrors"] == []
    assert payload["token"] is None  # a dry run issues no secret
    assert payload["viewer"] == {"id": gid("usr", user), "email": "ada@example.com"}
    assert await counts(db) == before


# ---------------------------------------------------------------- account status


@pytest.mark.parametrize(
    ("status", "until", "code"),
    [
        (UserStatus.SUSPENDED, None, "USER_SUSPENDED"),
        (UserStatus.SUSPENDED, timedelta(days=1), "USER_SUSPENDED"),
        (UserStatus.BLOCKED, None, "USER_BLOCKED"),
        (UserStatus.DELETED, None, "USER_DELETED"),
    ],
    ids=["suspended-indefinitely", "suspended-until-tomorrow", "blocked", "deleted"],
)
async def test_inactive_accounts_cannot_log_in(
    gql: GraphQL,
    factory: Factory,
    db: Any,
    status: UserStatus,
    until: timedelta | None,
    code: str,
) -> None:
    suspended_until = clock.now() + until if until else None
    await factory.user("ada@example.com", status=status, suspended_until=suspended_until)
    before = await counts(db)
    payload = await login(gql, "ada@example.com")
    assert codes(payload) == [code]
    assert payload["token"] is None
    assert await counts(db) == before


async def test_inactive_account_with_a_wrong_password_reveals_no_status(
    gql: GraphQL, factory: Factory
) -> None:
    await factory.user("ada@example.com", status=UserStatus.BLOCKED)
    payload = await login(gql, "ada@example.com", "wrong password here")
    assert codes(payload) == ["INVALID_CREDENTIALS"]


async def test_lapsed_suspension_no_longer_blocks_login(gql: GraphQL, factory: Factory) -> None:
    await factory.user(
        "ada@example.com",
        status=UserStatus.SUSPENDED,
        suspended_until=clock.now() - timedelta(minutes=1),
    )
    payload = await login(gql, "ada@example.com")
    assert payload["userErrors"] == []
    assert payload["token"] is not None


async def test_suspension_ending_later_lets_the_user_in_then(
    gql: GraphQL, factory: Factory
) -> None:
    await factory.user(
        "ada@example.com",
        status=UserStatus.SUSPENDED,
        suspended_until=clock.now() + timedelta(hours=1),
    )
    assert codes(await login(gql, "ada@example.com")) == ["USER_SUSPENDED"]
    with clock.travel(timedelta(hours=1, seconds=1)):
        payload = await login(gql, "ada@example.com")
        assert payload["userErrors"] == []
        assert payload["token"] is not None


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.BLOCKED, UserStatus.DELETED])
async def test_session_of_a_user_who_became_inactive_stops_working(
    gql: GraphQL, factory: Factory, db: Any, status: UserStatus
) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user)
    await gql.ok(ME, token=token)
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(USERS).where(USERS.c.id == user.id).values(status=status.value)
        )
    await assert_unauthenticated(gql, token)


# ---------------------------------------------------------------- throttling


async def test_five_failures_per_email_then_too_many_attempts(
    gql: GraphQL, app: Starlette, factory: Factory, db: Any
) -> None:
    await factory.user("ada@example.com")
    await factory.user("bob@example.com")
    for _ in range(5):
        assert codes(await login(gql, "ada@example.com", "wrong password here")) == [
            "INVALID_CREDENTIALS"
        ]
    # From another client address the address limit does not apply; the email limit does,
    # even with the right password.
    async with client_at(app, "198.51.100.20") as elsewhere:
        remote = GraphQL(elsewhere)
        refused = await login(remote, "ADA@example.com")
        assert codes(refused) == ["TOO_MANY_ATTEMPTS"]
        assert refused["token"] is None
        # Another email from that address is fine: the limit was the email's.
        assert (await login(remote, "bob@example.com"))["userErrors"] == []
    # Refused attempts are not counted again, and no session was issued for ada.
    assert (await counts(db))["login_failures"] == 5
    sessions = await rows(db, sa.select(LOGIN_SESSIONS))
    assert len(sessions) == 1


async def test_five_failures_per_client_address_then_too_many_attempts(
    gql: GraphQL, app: Starlette, factory: Factory
) -> None:
    await factory.user("ada@example.com")
    for n in range(5):
        payload = await login(gql, f"nobody{n}@example.com", "wrong password here")
        assert codes(payload) == ["INVALID_CREDENTIALS"]
    # Ada never failed, but this address did five times.
    assert codes(await login(gql, "ada@example.com")) == ["TOO_MANY_ATTEMPTS"]
    async with client_at(app, "198.51.100.21") as elsewhere:
        payload = await login(GraphQL(elsewhere), "ada@example.com")
        assert payload["userErrors"] == []
        assert payload["token"] is not None
        assert payload["session"]["clientAddr"] == "198.51.100.21"


async def test_four_failures_still_allow_a_login(gql: GraphQL, factory: Factory) -> None:
    await factory.user("ada@example.com")
    for _ in range(4):
        failed = await login(gql, "ada@example.com", "wrong password here")
        assert codes(failed) == ["INVALID_CREDENTIALS"]
    payload = await login(gql, "ada@example.com")
    assert payload["userErrors"] == []
    assert await gql.ok(ME, token=payload["token"]) == {
        "me": {"user": {"email": "ada@example.com"}}
    }


async def test_logins_work_again_after_the_window(gql: GraphQL, factory: Factory) -> None:
    await factory.user("ada@example.com")
    for _ in range(5):
        await login(gql, "ada@example.com", "wrong password here")
    with clock.travel(timedelta(minutes=14)):
        assert codes(await login(gql, "ada@example.com")) == ["TOO_MANY_ATTEMPTS"]
    with clock.travel(timedelta(minutes=15, seconds=1)):
        payload = await login(gql, "ada@example.com")
        assert payload["userErrors"] == []
        assert payload["token"] is not None


async def test_failed_dry_run_logins_are_throttled_too(gql: GraphQL, factory: Factory) -> None:
    # Otherwise `dryRun: true` would be an unthrottled password oracle.
    await factory.user("ada@example.com")
    for _ in range(5):
        payload = await login(gql, "ada@example.com", "wrong password here", dry_run=True)
        assert codes(payload) == ["INVALID_CREDENTIALS"]
    assert codes(await login(gql, "ada@example.com", dry_run=True)) == ["TOO_MANY_ATTEMPTS"]
    assert codes(await login(gql, "ada@example.com")) == ["TOO_MANY_ATTEMPTS"]


# ---------------------------------------------------------------- token validity


async def test_unknown_and_malformed_credentials_get_401(gql: GraphQL, client: Any) -> None:
    for token in ("adms_" + "x" * 40, "admk_" + "x" * 40, "admi_" + "x" * 40, "whatever"):
        await assert_unauthenticated(gql, token)
    for header in ("Basic dXNlcjpwYXNz", "Bearer ", "Bearer", "token"):
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_no_credentials_get_401(gql: GraphQL) -> None:
    response = await gql(ME)
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_absolute_expiry(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user, expires_in=timedelta(minutes=30))
    with clock.travel(timedelta(minutes=29)):
        await gql.ok(ME, token=token)
    # Used a minute ago, so not idle: only the absolute lifetime has run out.
    with clock.travel(timedelta(minutes=30, seconds=1)):
        await assert_unauthenticated(gql, token)


async def test_login_session_lasts_twelve_hours_at_most(
    gql: GraphQL, factory: Factory, db: Any
) -> None:
    await factory.user("ada@example.com")
    token = (await login(gql, "ada@example.com"))["token"]
    # Say it was in use all day, most recently a minute before the twelve hours ran out.
    recent = clock.now() + timedelta(hours=11, minutes=58)
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(LOGIN_SESSIONS)
            .where(LOGIN_SESSIONS.c.token_hash == token_hash(token))
            .values(last_seen_at=recent)
        )
    with clock.travel(timedelta(hours=11, minutes=59)):
        await gql.ok(ME, token=token)
    with clock.travel(timedelta(hours=12, seconds=1)):
        await assert_unauthenticated(gql, token)


async def test_idle_expiry_and_refresh_on_use(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user, expires_in=timedelta(hours=12))
    with clock.travel(timedelta(minutes=59)):
        await gql.ok(ME, token=token)  # refreshes last use
    with clock.travel(timedelta(minutes=118)):
        await gql.ok(ME, token=token)  # 59 minutes after the last use
    with clock.travel(timedelta(minutes=179)):
        await assert_unauthenticated(gql, token)  # 61 minutes idle


async def test_unused_session_idles_out_after_an_hour(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user, expires_in=timedelta(hours=12))
    with clock.travel(timedelta(minutes=60)):
        await assert_unauthenticated(gql, token)


async def test_session_created_in_the_past_is_expired(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(
        user, created_at=clock.now() - timedelta(hours=13), expires_in=timedelta(hours=12)
    )
    await assert_unauthenticated(gql, token)


async def test_revoked_session_gets_401(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user, revoked=True)
    await assert_unauthenticated(gql, token)


# ---------------------------------------------------------------- logging out


async def test_revoke_own_session_by_default(gql: GraphQL, factory: Factory, db: Any) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user)
    other_token = await factory.session_token(user)
    payload = await REVOKE.payload(gql, {"sessionId": None}, token=token)
    assert payload["userErrors"] == []
    assert payload["session"]["id"] == await session_id(db, token)
    assert payload["session"]["revokedAt"] is not None
    await assert_unauthenticated(gql, token)
    # Only that session ended.
    await gql.ok(ME, token=other_token)
    events = await audit_events(db)
    assert [event.action for event in events] == ["session.revoke"]
    assert events[0].actor_id == gid("usr", user)
    assert events[0].target_id == payload["session"]["id"]


async def test_user_may_revoke_another_of_their_own_sessions(
    gql: GraphQL, factory: Factory, db: Any
) -> None:
    user = await factory.user("ada@example.com")
    token = await factory.session_token(user)
    laptop = await factory.session_token(user)
    laptop_id = await session_id(db, laptop)
    revoked = await REVOKE.payload(gql, {"sessionId": laptop_id}, token=token)
    assert revoked["userErrors"] == []
    assert revoked["session"]["id"] == laptop_id
    assert revoked["session"]["revokedAt"] is not None
    assert (await session_row(db, laptop)).revoked_at is not None
    await assert_unauthenticated(gql, laptop)
    await gql.ok(ME, token=token)


async def test_session_user_cannot_revoke_someone_elses_session(
    gql: GraphQL, world: World, db: Any
) -> None:
    before = await counts(db)
    victim = await session_id(db, world.admin_token)
    revoked = await REVOKE.payload(gql, {"sessionId": victim}, token=world.owner_token)
    assert revoked == {
        "userErrors": [{"field": ["input", "sessionId"], "code": "NOT_FOUND"}],
        "session": None,
    }
    assert await counts(db) == before
    await gql.ok(ME, token=world.admin_token)
    await gql.ok(ME, token=world.owner_token)


async def test_master_revokes_any_session(gql: GraphQL, world: World, db: Any) -> None:
    victim = await session_id(db, world.owner_token)
    revoked = await REVOKE.payload(gql, {"sessionId": victim}, token=world.master)
    assert revoked["userErrors"] == []
    assert revoked["session"]["id"] == victim
    await assert_unauthenticated(gql, world.owner_token)
    event = (await audit_events(db))[-1]
    assert event.action == "session.revoke"
    assert event.actor_type == "MASTER_KEY"


async def test_staff_session_revokes_any_session(gql: GraphQL, world: World, db: Any) -> None:
    victim = await session_id(db, world.owner_token)
    revoked = await REVOKE.payload(gql, {"sessionId": victim}, token=world.staff_token)
    assert revoked["userErrors"] == []
    assert revoked["session"]["id"] == victim
    assert (await session_row(db, world.owner_token)).revoked_at is not None
    event = (await audit_events(db))[-1]
    assert (event.action, event.actor_id, event.target_id) == (
        "session.revoke",
        gid("usr", world.staff),
        victim,
    )
    await assert_unauthenticated(gql, world.owner_token)


async def test_master_key_must_name_the_session(gql: GraphQL, world: World, db: Any) -> None:
    before = await counts(db)
    revoked = await REVOKE.payload(gql, {"sessionId": None}, token=world.master)
    assert revoked["userErrors"] == [{"field": ["input", "sessionId"], "code": "REQUIRED"}]
    assert await counts(db) == before


@pytest.mark.parametrize(
    "bad_id",
    ["garbage", "usr_00000000000000000000000000", "ses_00000000000000000000000000", "ses_!!"],
)
async def test_revoke_with_a_bad_session_id(
    gql: GraphQL, world: World, db: Any, bad_id: str
) -> None:
    before = await counts(db)
    revoked = await REVOKE.payload(gql, {"sessionId": bad_id}, token=world.master)
    assert revoked["userErrors"] == [{"field": ["input", "sessionId"], "code": "NOT_FOUND"}]
    assert await counts(db) == before


async def test_revoking_twice_acts_once(gql: GraphQL, world: World, db: Any) -> None:
    victim = await session_id(db, world.owner_token)
    first = await REVOKE.payload(gql, {"sessionId": victim}, token=world.master)
    second = await REVOKE.payload(gql, {"sessionId": victim}, token=world.master)
    assert second["userErrors"] == []
    assert second["session"] == first["session"]
    revokes = [event for event in await audit_events(db) if event.action == "session.revoke"]
    assert len(revokes) == 1


async def test_dry_run_revoke_leaves_the_session_alive(gql: GraphQL, world: World, db: Any) -> None:
    before = await counts(db)
    payload = await REVOKE.payload(gql, {"sessionId": None}, token=world.owner_token, dry_run=True)
    assert payload["userErrors"] == []
    assert payload["session"]["revokedAt"] is not None  # what would happen
    assert await counts(db) == before
    await gql.ok(ME, token=world.owner_token)
    stored = await rows(
        db,
        sa.select(LOGIN_SESSIONS.c.revoked_at).where(
            LOGIN_SESSIONS.c.token_hash == token_hash(world.owner_token)
        ),
    )
    assert stored[0].revoked_at is None


async def test_impersonation_revoke_is_audited_with_the_impersonator(
    gql: GraphQL, world: World, factory: Factory, db: Any
) -> None:
    token = await factory.session_token(world.owner, impersonator=world.staff, read_only=False)
    revoked = await REVOKE.payload(gql, {"sessionId": None}, token=token)
    assert revoked["userErrors"] == []
    event = (await audit_events(db))[-1]
    assert event.action == "session.revoke"
    assert event.actor_type == "USER"
    assert event.actor_id == gid("usr", world.owner)
    assert event.impersonator_id == gid("usr", world.staff)
    await assert_unauthenticated(gql, token)


async def test_anonymous_login_key_is_not_replayed(gql: GraphQL, factory: Factory, db: Any) -> None:
    # Anonymous callers have no key space of their own, and a replay could not return the
    # token (secrets are never stored): each login issues its own session.
    await factory.user("ada@example.com")
    credentials = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    first = await LOGIN.send(gql, credentials, key="login-1")
    second = await LOGIN.send(gql, credentials, key="login-1")
    assert "idempotent-replayed" not in second.headers
    tokens = {first.data["sessionCreate"]["token"], second.data["sessionCreate"]["token"]}
    assert len(tokens) == 2
    assert None not in tokens
    after = await counts(db)
    assert after["login_sessions"] == 2
    assert after["idempotency_records"] == 0


async def test_logged_in_caller_replaying_a_login_gets_no_token_twice(
    gql: GraphQL, world: World, db: Any
) -> None:
    query = """
    mutation($key: String) {
      sessionCreate(input: {email: "member@own.test", password: "correct horse battery staple"},
                    idempotencyKey: $key) { token viewer { email } }
    }"""
    first = await gql(query, {"key": "k"}, token=world.master)
    assert first.data["sessionCreate"]["token"].startswith("adms_")
    sessions = (await counts(db))["login_sessions"]
    second = await gql(query, {"key": "k"}, token=world.master)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.data["sessionCreate"] == {"token": None, "viewer": {"email": "member@own.test"}}
    assert (await counts(db))["login_sessions"] == sessions
