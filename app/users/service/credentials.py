"""Password resets, forced sign-out and impersonation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.auth.passwords import Passwords, password_problem
from app.auth.principal import Principal
from app.auth.tokens import IMPERSONATION_PREFIX, RESET_PREFIX
from app.kit import clock
from app.kit.crypto import random_token, token_hash
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import (
    LoginSession,
    NoteCategory,
    PasswordResetToken,
    SessionKind,
    User,
    UserStatus,
)
from app.outbox.mail import queue_mail
from app.users import repository
from app.users.service.common import (
    MAX_IMPERSONATION_MINUTES,
    RESET_TOKEN_TTL,
    add_admin_note,
    load,
    public_id,
    require_not_deleted,
)


@dataclass(frozen=True, slots=True)
class IssuedReset:
    url: str
    expires_at: datetime
    user: User


async def create_password_reset(
    uow: UnitOfWork, *, user_id: uuid.UUID, app_url: str
) -> IssuedReset:
    user = await load(uow, user_id)
    require_not_deleted(user)
    now = clock.now()
    await repository.retire_reset_tokens(uow.session, user.id, now)
    token = random_token(RESET_PREFIX)
    reset = PasswordResetToken(
        user_id=user.id,
        token_hash=token_hash(token),
        created_by=uow.actor.id,
        created_at=now,
        expires_at=now + RESET_TOKEN_TTL,
    )
    uow.session.add(reset)
    await add_admin_note(
        uow, user, NoteCategory.PASSWORD_RESET, "Password reset link issued (valid 1 hour)."
    )
    await uow.session.flush()
    uow.record(
        "user.password_reset",
        "User",
        public_id(user),
        after={"resetTokenId": encode("prt", reset.id), "expiresAt": reset.expires_at},
    )
    link = f"{app_url.rstrip('/')}/reset-password?token={token}"
    queue_mail(
        uow,
        "password_reset",
        to=user.email,
        context={"name": user.name, "expiresAt": reset.expires_at.isoformat()},
        secret_link=link,
    )
    return IssuedReset(link, reset.expires_at, user)


async def complete_password_reset(
    uow: UnitOfWork, passwords: Passwords, *, token: str, password: str
) -> User:
    """Consume a one-time reset token: set the password and sign the user out everywhere."""
    reset = await repository.reset_token_by_hash(uow.session, token_hash(token))
    now = clock.now()
    if reset is None:
        raise UserInputError("This reset link is not valid.", ErrorCode.TOKEN_INVALID, "token")
    if reset.used_at is not None:
        raise UserInputError("This reset link was already used.", ErrorCode.TOKEN_USED, "token")
    if reset.expires_at <= now:
        raise UserInputError("This reset link has expired.", ErrorCode.TOKEN_EXPIRED, "token")
    user = await load(uow, reset.user_id, "token")
    if user.status is UserStatus.DELETED:
        raise UserInputError("This reset link is not valid.", ErrorCode.TOKEN_INVALID, "token")
    if problem := password_problem(password, user.email):
        raise UserInputError(problem, ErrorCode.WEAK_PASSWORD, "password")
    if not await repository.consume_reset_token(uow.session, reset.id, now):
        raise UserInputError("This reset link was already used.", ErrorCode.TOKEN_USED, "token")
    user.password_hash = passwords.hash(password)
    user.updated_at = now
    revoked = await repository.revoke_sessions(uow.session, user.id, now)
    await uow.session.flush()
    uow.record(
        "user.password_reset_complete",
        "User",
        public_id(user),
        before={"password": "old"},
        after={"password": "new", "revokedSessions": revoked},
    )
    return user


async def sign_out_user(uow: UnitOfWork, *, user_id: uuid.UUID) -> tuple[User, int]:
    user = await load(uow, user_id)
    revoked = await repository.revoke_sessions(uow.session, user.id, clock.now())
    uow.record("user.sign_out", "User", public_id(user), after={"revokedSessions": revoked})
    return user, revoked


@dataclass(frozen=True, slots=True)
class IssuedImpersonation:
    token: str
    session: LoginSession
    user: User


async def impersonate(
    uow: UnitOfWork,
    principal: Principal,
    *,
    user_id: uuid.UUID,
    read_only: bool,
    minutes: int,
    client_addr: str | None,
) -> IssuedImpersonation:
    if not 1 <= minutes <= MAX_IMPERSONATION_MINUTES:
        raise UserInputError(
            f"Impersonation lasts 1 to {MAX_IMPERSONATION_MINUTES} minutes.",
            ErrorCode.INVALID,
            "minutes",
        )
    user = await load(uow, user_id)
    require_not_deleted(user)
    if principal.user_id == user.id:
        raise UserInputError("You cannot impersonate yourself.", ErrorCode.INVALID, "userId")
    now = clock.now()
    token = random_token(IMPERSONATION_PREFIX)
    login_session = LoginSession(
        user_id=user.id,
        token_hash=token_hash(token),
        kind=SessionKind.IMPERSONATION,
        impersonator_id=principal.user_id,
        impersonator_key_id=principal.master_key_id if principal.user_id is None else None,
        read_only=read_only,
        client_addr=client_addr,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    uow.session.add(login_session)
    await uow.session.flush()
    uow.record(
        "user.impersonate",
        "User",
        public_id(user),
        after={
            "sessionId": encode(LoginSession.PREFIX, login_session.id),
            "readOnly": read_only,
            "expiresAt": login_session.expires_at,
        },
    )
    return IssuedImpersonation(token, login_session, user)
