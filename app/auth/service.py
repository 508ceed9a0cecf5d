"""Authentication and credentials: who a bearer token is, logins, master keys, revocation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from app.auth import repository
from app.auth.passwords import Passwords
from app.auth.principal import Access, Principal, master_key_principal
from app.auth.throttle import ATTEMPTS
from app.auth.tokens import (
    IMPERSONATION_PREFIX,
    MASTER_KEY_PREFIX,
    SESSION_PREFIX,
    TOUCH_INTERVAL_SECONDS,
)
from app.db import Database, Reader
from app.kit import clock
from app.kit.actor import Actor, ActorType
from app.kit.crypto import display_prefix, random_token, token_hash
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.scope import EVERYTHING, RowScope
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email
from app.models import LoginSession, MasterKey, SessionKind, User, UserStatus
from app.models.users import effective_status
from app.settings import Settings

MAX_KEY_NAME_LENGTH = 100


# ---------------------------------------------------------------- authentication


async def authenticate(
    token: str, reader: Reader, db: Database, settings: Settings
) -> Principal | None:
    """The principal a bearer token stands for, or None when it is unknown, revoked or expired."""
    now = clock.now()
    if token.startswith(MASTER_KEY_PREFIX):
        key = await repository.master_key_by_hash(reader, token_hash(token))
        if key is None:
            return None
        if _stale(key.last_used_at, now):
            await db.run(
                lambda uow: repository.touch_master_key(uow.session, key.id, now),
                actor=Actor.system("authentication"),
                row_scope=EVERYTHING,
            )
        return master_key_principal(key.id)
    if token.startswith((SESSION_PREFIX, IMPERSONATION_PREFIX)):
        return await _session_principal(token, reader, db, settings, now)
    return None


async def _session_principal(
    token: str, reader: Reader, db: Database, settings: Settings, now: datetime
) -> Principal | None:
    row = await repository.session_by_hash(reader, token_hash(token), now)
    if row is None:
        return None
    if row.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= now:
        return None
    impersonating = row.kind is SessionKind.IMPERSONATION
    status = effective_status(row.status, row.suspended_until, now)
    # Staff may look at a suspended or blocked account through impersonation; nobody acts
    # as a deleted one, and the people themselves need an ACTIVE account.
    if status is UserStatus.DELETED or (status is not UserStatus.ACTIVE and not impersonating):
        return None
    if impersonating and not _impersonator_still_master(row, settings, now):
        return None
    if _stale(row.last_seen_at, now):
        await db.run(
            lambda uow: repository.touch_session(uow.session, row.id, now),
            actor=Actor.system("authentication"),
            row_scope=EVERYTHING,
        )
    if not impersonating and row.is_staff and row.email in settings.staff_emails:
        access, row_scope = Access.MASTER, EVERYTHING
    else:
        customer_ids = await repository.administered_customer_ids(reader, row.user_id)
        access, row_scope = Access.SESSION, RowScope(customer_ids, row.user_id)
    return Principal(
        access,
        row_scope,
        user_id=row.user_id,
        session_id=row.id,
        read_only=bool(row.read_only),
        impersonator_user_id=row.impersonator_id,
        impersonator_key_id=row.impersonator_key_id,
    )


def _impersonator_still_master(row: Any, settings: Settings, now: datetime) -> bool:
    """An impersonation lives only as long as its author keeps MASTER scope: a revoked key,
    or a staff user who was blocked, signed out of staff or taken off the allowlist, ends it."""
    if row.impersonator_key_id is not None:
        return row.impersonator_key_revoked_at is None
    if row.impersonator_id is None:
        return False
    status = effective_status(row.impersonator_status, row.impersonator_suspended_until, now)
    return (
        status is UserStatus.ACTIVE
        and bool(row.impersonator_is_staff)
        and row.impersonator_email in settings.staff_emails
    )


async def record_impersonated_request(
    db: Database, principal: Principal, details: Mapping[str, object]
) -> None:
    """Every request made with an impersonation token leaves an audit event naming both people.

    `details` say what was asked (channel, operation or path), never a value sent with it.
    """
    subject = encode(User.PREFIX, principal.user_id) if principal.user_id is not None else None

    async def record(uow: UnitOfWork) -> None:
        uow.record("impersonation.request", "User", subject, after=details)

    await db.run(record, actor=principal.actor, row_scope=principal.row_scope)


def _stale(last: datetime | None, now: datetime) -> bool:
    return last is None or (now - last).total_seconds() >= TOUCH_INTERVAL_SECONDS


# ---------------------------------------------------------------- logins


@dataclass(frozen=True, slots=True)
class IssuedSession:
    token: str
    session: LoginSession
    user: User


async def login(
    uow: UnitOfWork,
    passwords: Passwords,
    settings: Settings,
    *,
    email: str,
    password: str,
    client_addr: str,
    user_agent: str | None,
) -> IssuedSession:
    email = checked_email(email)
    now = clock.now()
    since = now - timedelta(minutes=settings.login_window_minutes)
    by_email, by_client = await repository.count_recent_failures(
        uow.session, email, client_addr, since
    )
    keys = (f"email:{email}", f"client:{client_addr}")
    # No await from here to `begin`: concurrent attempts of this process see each other.
    by_email += ATTEMPTS.under_way(keys[0])
    by_client += ATTEMPTS.under_way(keys[1])
    if max(by_email, by_client) >= settings.login_max_failures:
        raise UserInputError(
            "Too many failed logins; wait a few minutes and try again.",
            ErrorCode.TOO_MANY_ATTEMPTS,
        )
    ATTEMPTS.begin(keys)
    failed = False
    try:
        user = await repository.user_by_email(uow.session, email)
        if not passwords.verify(user.password_hash if user else None, password) or user is None:

            async def release() -> None:
                ATTEMPTS.end(keys)

            async def release_uncommitted(_: UnitOfWork) -> None:
                await release()

            async def count_failure(later: UnitOfWork) -> None:
                # The place is freed once the stored row counts instead, or if it never does.
                later.after_commit.append(release)
                later.compensations.append(release_uncommitted)
                await repository.add_failure(later.session, email, client_addr, clock.now())

            uow.on_failure.append(count_failure)
            failed = True
            raise UserInputError("Wrong email or password.", ErrorCode.INVALID_CREDENTIALS)
    finally:
        if not failed:
            ATTEMPTS.end(keys)
    status = effective_status(user.status, user.suspended_until, now)
    if status is not UserStatus.ACTIVE:
        raise UserInputError(*_refusal(status))

    user_public_id = encode(User.PREFIX, user.id)
    uow.act_as(replace(uow.actor, type=ActorType.USER, id=user_public_id))
    token = random_token(SESSION_PREFIX)
    login_session = LoginSession(
        user_id=user.id,
        token_hash=token_hash(token),
        kind=SessionKind.LOGIN,
        client_addr=client_addr[:64],
        user_agent=(user_agent or "")[:400] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_ttl_hours),
    )
    uow.session.add(login_session)
    user.last_seen_at = now
    await uow.session.flush()
    uow.record(
        "session.create",
        "User",
        user_public_id,
        after={
            "sessionId": encode(LoginSession.PREFIX, login_session.id),
            "expiresAt": login_session.expires_at,
        },
    )
    return IssuedSession(token, login_session, user)


def _refusal(status: UserStatus) -> tuple[str, ErrorCode]:
    if status is UserStatus.SUSPENDED:
        return "This account is suspended.", ErrorCode.USER_SUSPENDED
    if status is UserStatus.BLOCKED:
        return "This account is blocked.", ErrorCode.USER_BLOCKED
    return "This account was deleted.", ErrorCode.USER_DELETED


async def revoke_session(
    uow: UnitOfWork, principal: Principal, session_id: uuid.UUID | None
) -> LoginSession:
    """Revoke one session: the caller's own by default; a master may revoke anyone's."""
    target_id = session_id or principal.session_id
    if target_id is None:
        raise UserInputError(
            "Name the session to revoke: a master key has no session of its own.",
            ErrorCode.REQUIRED,
            "sessionId",
        )
    # The row scope decides in SQL: a person reaches their own sessions, a master anyone's.
    login_session = await repository.session_in_scope(uow.session, target_id, uow.row_scope)
    if login_session is None:
        raise not_found("Session", "sessionId")
    if login_session.revoked_at is None:
        login_session.revoked_at = clock.now()
        await uow.session.flush()
        uow.record(
            "session.revoke",
            "Session",
            encode(LoginSession.PREFIX, login_session.id),
            before={"revokedAt": None},
            after={"revokedAt": login_session.revoked_at},
        )
    return login_session


# ---------------------------------------------------------------- master keys


@dataclass(frozen=True, slots=True)
class IssuedMasterKey:
    token: str
    key: MasterKey


async def create_master_key(uow: UnitOfWork, name: str) -> IssuedMasterKey:
    name = name.strip()
    if not name:
        raise UserInputError("Give the key a name.", ErrorCode.REQUIRED, "name")
    if len(name) > MAX_KEY_NAME_LENGTH:
        raise UserInputError(
            f"At most {MAX_KEY_NAME_LENGTH} characters.", ErrorCode.TOO_LONG, "name"
        )
    token = random_token(MASTER_KEY_PREFIX)
    key = MasterKey(
        name=name,
        prefix=display_prefix(token),
        key_hash=token_hash(token),
        created_by=uow.actor.id,
        created_at=clock.now(),
    )
    uow.session.add(key)
    await uow.session.flush()
    uow.record(
        "master_key.create",
        "MasterKey",
        encode(MasterKey.PREFIX, key.id),
        after={"name": key.name, "prefix": key.prefix, "key": token},
    )
    return IssuedMasterKey(token, key)


async def revoke_master_key(uow: UnitOfWork, key_id: uuid.UUID) -> MasterKey:
    """Revoking is idempotent: an already revoked key is returned as it is."""
    key = await repository.get_master_key(uow.session, key_id)
    if key is None:
        raise not_found("Master key", "masterKeyId")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await uow.session.flush()
        uow.record(
            "master_key.revoke",
            "MasterKey",
            encode(MasterKey.PREFIX, key.id),
            before={"revokedAt": None},
            after={"revokedAt": key.revoked_at},
        )
    return key
