"""Business rules of a person's lifecycle: create, change, suspend, block, delete, reset, notes.

Services never commit: the caller owns the unit of work. Each change records an audit event
with a before/after diff; lifecycle changes also leave an admin note, as an operator would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.auth.passwords import Passwords, password_problem
from app.auth.principal import Principal
from app.auth.tokens import IMPERSONATION_PREFIX, RESET_PREFIX
from app.kit import clock
from app.kit.crypto import random_token, token_hash
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.jsonutil import dumps
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email, checked_text
from app.models import (
    Feedback,
    FeedbackKind,
    LoginSession,
    NoteCategory,
    PasswordResetToken,
    SessionKind,
    User,
    UserNote,
    UserStatus,
)
from app.models.tables import (
    MEMBERSHIPS,
)
from app.models.users import effective_status
from app.users import repository

MAX_NAME = 200
MAX_REASON = 500
MAX_NOTE = 5000
MAX_FEEDBACK = 5000
MAX_PAGE = 500
MAX_METADATA_BYTES = 16_384
MAX_IMPERSONATION_MINUTES = 60
MAX_SUSPENSION_HOURS = 24 * 366 * 10
RESET_TOKEN_TTL = timedelta(hours=1)


def public_id(user: User) -> str:
    return encode("usr", user.id)


def snapshot(user: User) -> dict[str, Any]:
    """The audited view of a user (secrets never included)."""
    return {
        "email": user.email,
        "name": user.name,
        "status": user.status,
        "isStaff": user.is_staff,
        "suspendedUntil": user.suspended_until,
        "suspensionReason": user.suspension_reason,
        "blockReason": user.block_reason,
        "metadata": user.profile,
    }


async def load(uow: UnitOfWork, user_id: uuid.UUID, field_name: str = "userId") -> User:
    user = await repository.get_user(uow.session, user_id)
    if user is None:
        raise not_found("User", field_name)
    return user


def _require_not_deleted(user: User) -> None:
    if user.status is UserStatus.DELETED:
        raise UserInputError("This user was deleted.", ErrorCode.INVALID_STATE, "userId")


async def _note(uow: UnitOfWork, user: User, category: NoteCategory, body: str) -> UserNote:
    note = UserNote(
        user_id=user.id,
        author_id=uow.actor.id,
        category=category,
        body=body,
        created_at=clock.now(),
    )
    uow.session.add(note)
    return note


def _record(uow: UnitOfWork, action: str, user: User, before: dict[str, Any]) -> None:
    uow.record(action, "User", public_id(user), before=before, after=snapshot(user))


# ---------------------------------------------------------------- create and update


async def create_user(
    uow: UnitOfWork,
    passwords: Passwords,
    *,
    email: str,
    name: str,
    password: str | None,
    is_staff: bool,
) -> User:
    problems: list[UserInputError] = []
    try:
        email = checked_email(email)
    except UserInputError as error:
        problems.append(error)
    try:
        name = checked_text(name, "name", MAX_NAME, required=False)
    except UserInputError as error:
        problems.append(error)
    if password is not None and (problem := password_problem(password, email)):
        problems.append(UserInputError(problem, ErrorCode.WEAK_PASSWORD, "password"))
    if problems:
        raise UserInputErrors(problems)
    if await repository.email_taken(uow.session, email):
        raise UserInputError("A user with this email exists.", ErrorCode.EMAIL_TAKEN, "email")
    now = clock.now()
    user = User(
        email=email,
        name=name,
        password_hash=passwords.hash(password) if password is not None else None,
        is_staff=is_staff,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(user)
    await uow.session.flush()
    _record(uow, "user.create", user, {})
    return user


async def update_user(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    name: str | None = None,
    email: str | None = None,
    is_staff: bool | None = None,
    metadata: dict[str, Any] | None = None,
) -> User:
    user = await load(uow, user_id)
    _require_not_deleted(user)
    before = snapshot(user)
    if email is not None:
        email = checked_email(email)
        if email != user.email and await repository.email_taken(uow.session, email, user.id):
            raise UserInputError("A user with this email exists.", ErrorCode.EMAIL_TAKEN, "email")
        user.email = email
    if name is not None:
        user.name = checked_text(name, "name", MAX_NAME, required=False)
    if is_staff is not None:
        user.is_staff = is_staff
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise UserInputError("Metadata is a JSON object.", ErrorCode.INVALID, "metadata")
        if len(repr(metadata)) > MAX_METADATA_BYTES:
            raise UserInputError("Metadata is limited to 16 KB.", ErrorCode.TOO_LONG, "metadata")
        user.profile = metadata
    after = snapshot(user)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return user
    user.updated_at = clock.now()
    lines = [f"{key}: {_show(before[key])} → {_show(after[key])}" for key in changed]
    await _note(uow, user, NoteCategory.GENERAL, "Profile changed.\n" + "\n".join(lines))
    await uow.session.flush()
    _record(uow, "user.update", user, before)
    return user


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, (dict, list)):
        return dumps(value).decode()
    return str(value)


# ---------------------------------------------------------------- suspension and blocking


def _suspension_end(
    until: datetime | None, duration_hours: float | None, now: datetime
) -> datetime | None:
    if until is not None and duration_hours is not None:
        raise UserInputError(
            "Give `until` or `durationHours`, not both.", ErrorCode.INVALID, "durationHours"
        )
    if duration_hours is not None:
        if not 0 < duration_hours <= MAX_SUSPENSION_HOURS:
            raise UserInputError(
                "The duration must be positive and at most ten years.",
                ErrorCode.INVALID,
                "durationHours",
            )
        return now + timedelta(hours=duration_hours)
    if until is not None:
        # The DateTime scalar applies this rule to GraphQL input; other callers meet it here.
        try:
            until = clock.as_utc(until)
        except ValueError as error:
            raise UserInputError(str(error), ErrorCode.INVALID, "until") from None
        if until <= now:
            raise UserInputError("`until` must be in the future.", ErrorCode.INVALID, "until")
    return until


async def suspend_user(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    reason: str,
    until: datetime | None = None,
    duration_hours: float | None = None,
) -> tuple[User, int]:
    """Suspend (indefinitely unless an end is given) and sign out; returns revoked sessions."""
    reason = checked_text(reason, "reason", MAX_REASON)
    now = clock.now()
    ends = _suspension_end(until, duration_hours, now)
    user = await load(uow, user_id)
    _require_not_deleted(user)
    if user.status is UserStatus.BLOCKED:
        raise UserInputError(
            "This user is blocked; unblock them first.", ErrorCode.INVALID_STATE, "userId"
        )
    before = snapshot(user)
    user.status = UserStatus.SUSPENDED
    user.suspended_until = ends
    user.suspension_reason = reason
    user.suspended_by = uow.actor.id
    user.updated_at = now
    revoked = await repository.revoke_sessions(uow.session, user.id, now)
    period = f"until {ends.isoformat()}" if ends else "indefinitely"
    await _note(uow, user, NoteCategory.SUSPENSION, f"Suspended {period}: {reason}")
    await uow.session.flush()
    _record(uow, "user.suspend", user, before)
    return user, revoked


async def unsuspend_user(uow: UnitOfWork, *, user_id: uuid.UUID, reason: str | None) -> User:
    reason = checked_text(reason or "", "reason", MAX_REASON, required=False)
    user = await load(uow, user_id)
    now = clock.now()
    if effective_status(user.status, user.suspended_until, now) is not UserStatus.SUSPENDED:
        raise UserInputError("This user is not suspended.", ErrorCode.INVALID_STATE, "userId")
    before = snapshot(user)
    user.status = UserStatus.ACTIVE
    user.suspended_until = None
    user.suspension_reason = None
    user.suspended_by = None
    user.updated_at = now
    await _note(
        uow, user, NoteCategory.SUSPENSION, "Suspension lifted" + (f": {reason}" if reason else ".")
    )
    await uow.session.flush()
    _record(uow, "user.unsuspend", user, before)
    return user


async def block_user(uow: UnitOfWork, *, user_id: uuid.UUID, reason: str) -> tuple[User, int]:
    reason = checked_text(reason, "reason", MAX_REASON)
    user = await load(uow, user_id)
    _require_not_deleted(user)
    if user.status is UserStatus.BLOCKED:
        raise UserInputError("This user is already blocked.", ErrorCode.INVALID_STATE, "userId")
    now = clock.now()
    before = snapshot(user)
    user.status = UserStatus.BLOCKED
    user.blocked_at = now
    user.block_reason = reason
    user.suspended_until = None
    user.suspension_reason = None
    user.suspended_by = None
    user.updated_at = now
    revoked = await repository.revoke_sessions(uow.session, user.id, now)
    await _note(uow, user, NoteCategory.SUSPENSION, f"Blocked: {reason}")
    await uow.session.flush()
    _record(uow, "user.block", user, before)
    return user, revoked


async def unblock_user(uow: UnitOfWork, *, user_id: uuid.UUID, reason: str | None) -> User:
    reason = checked_text(reason or "", "reason", MAX_REASON, required=False)
    user = await load(uow, user_id)
    if user.status is not UserStatus.BLOCKED:
        raise UserInputError("This user is not blocked.", ErrorCode.INVALID_STATE, "userId")
    before = snapshot(user)
    user.status = UserStatus.ACTIVE
    user.blocked_at = None
    user.block_reason = None
    user.updated_at = clock.now()
    await _note(
        uow, user, NoteCategory.SUSPENSION, "Unblocked" + (f": {reason}" if reason else ".")
    )
    await uow.session.flush()
    _record(uow, "user.unblock", user, before)
    return user


# ---------------------------------------------------------------- deletion


@dataclass(frozen=True, slots=True)
class Deletion:
    user: User | None  # the scrubbed record after a soft delete; None after a hard delete
    user_public_id: str
    removed: dict[str, int] = field(default_factory=dict)


async def delete_user(
    uow: UnitOfWork, *, user_id: uuid.UUID, confirm: bool, hard: bool
) -> Deletion:
    if not confirm:
        raise UserInputError(
            "Deleting a user cannot be undone: repeat with `confirm: true`.",
            ErrorCode.CONFIRMATION_REQUIRED,
            "confirm",
        )
    user = await load(uow, user_id)
    if not hard:
        _require_not_deleted(user)
    orphaned = await repository.sole_owner_customer_ids(uow.session, user.id)
    if orphaned:
        raise UserInputError(
            f"This user is the last OWNER of {len(orphaned)} customer(s): "
            "make someone else OWNER first.",
            ErrorCode.LAST_OWNER,
            "userId",
        )
    if hard:
        return await _hard_delete(uow, user)
    return await _soft_delete(uow, user)


async def _soft_delete(uow: UnitOfWork, user: User) -> Deletion:
    now = clock.now()
    before_status = user.status
    revoked = await repository.revoke_sessions(uow.session, user.id, now)
    memberships = await repository.delete_rows(
        uow.session, MEMBERSHIPS, MEMBERSHIPS.c.user_id == user.id
    )
    user.status = UserStatus.DELETED
    user.email = f"deleted-{user.id.hex}@deleted.invalid"
    user.name = ""
    user.password_hash = None
    user.profile = {}
    user.suspended_until = None
    user.suspension_reason = None
    user.suspended_by = None
    user.deleted_at = now
    user.updated_at = now
    await uow.session.flush()
    removed = {"sessions": revoked, "memberships": memberships}
    # The diff names what was scrubbed, never the personal data itself.
    uow.record(
        "user.delete",
        "User",
        public_id(user),
        before={"status": before_status, "personalData": "present"},
        after={"status": UserStatus.DELETED, "personalData": "scrubbed", **removed},
    )
    return Deletion(user, public_id(user), removed)


async def _hard_delete(uow: UnitOfWork, user: User) -> Deletion:
    # The foreign keys say what hangs off a user (ON DELETE CASCADE); the database removes it.
    removed = await repository.cascade_of_user(uow.session, user.id)
    user_public_id = public_id(user)
    await uow.session.delete(user)
    await uow.session.flush()
    removed["users"] = 1
    uow.record(
        "user.hard_delete",
        "User",
        user_public_id,
        before={"exists": True},
        after={"exists": False, **removed},
    )
    return Deletion(None, user_public_id, removed)


# ---------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True)
class IssuedReset:
    url: str
    expires_at: datetime
    user: User


async def create_password_reset(
    uow: UnitOfWork, *, user_id: uuid.UUID, app_url: str
) -> IssuedReset:
    user = await load(uow, user_id)
    _require_not_deleted(user)
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
    await _note(
        uow, user, NoteCategory.PASSWORD_RESET, "Password reset link issued (valid 1 hour)."
    )
    await uow.session.flush()
    uow.record(
        "user.password_reset",
        "User",
        public_id(user),
        after={"resetTokenId": encode("prt", reset.id), "expiresAt": reset.expires_at},
    )
    return IssuedReset(
        f"{app_url.rstrip('/')}/reset-password?token={token}", reset.expires_at, user
    )


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
    _require_not_deleted(user)
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
            "sessionId": encode("ses", login_session.id),
            "readOnly": read_only,
            "expiresAt": login_session.expires_at,
        },
    )
    return IssuedImpersonation(token, login_session, user)


# ---------------------------------------------------------------- notes and feedback


async def add_note(
    uow: UnitOfWork, *, user_id: uuid.UUID, category: NoteCategory, body: str
) -> UserNote:
    body = checked_text(body, "body", MAX_NOTE)
    user = await load(uow, user_id)
    note = await _note(uow, user, category, body)
    await uow.session.flush()
    uow.record(
        "user_note.create",
        "UserNote",
        encode("not", note.id),
        after={"userId": public_id(user), "category": category, "body": body},
    )
    return note


async def delete_note(uow: UnitOfWork, *, note_id: uuid.UUID) -> UserNote:
    note = await repository.get_note(uow.session, note_id)
    if note is None:
        raise not_found("Note", "noteId")
    await uow.session.delete(note)
    await uow.session.flush()
    uow.record(
        "user_note.delete",
        "UserNote",
        encode("not", note.id),
        before={
            "userId": encode("usr", note.user_id),
            "category": note.category,
            "body": note.body,
        },
    )
    return note


async def submit_feedback(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    kind: str,
    message: str,
    rating: int | None,
    page: str | None,
) -> Feedback:
    problems: list[UserInputError] = []
    try:
        parsed_kind = FeedbackKind(kind)
    except ValueError:
        choices = ", ".join(item.value for item in FeedbackKind)
        problems.append(UserInputError(f"Use one of {choices}.", ErrorCode.INVALID, "kind"))
    try:
        message = checked_text(message, "message", MAX_FEEDBACK)
    except UserInputError as error:
        problems.append(error)
    if rating is not None and (isinstance(rating, bool) or not 1 <= rating <= 5):
        problems.append(UserInputError("A rating is 1 to 5.", ErrorCode.INVALID, "rating"))
    try:
        page = checked_text(page or "", "page", MAX_PAGE, required=False) or None
    except UserInputError as error:
        problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    user = await load(uow, user_id)
    feedback = Feedback(
        user_id=user.id,
        kind=parsed_kind,
        message=message,
        rating=rating,
        page=page,
        created_at=clock.now(),
    )
    uow.session.add(feedback)
    await uow.session.flush()
    uow.record(
        "feedback.create",
        "Feedback",
        encode("fbk", feedback.id),
        after={"userId": public_id(user), "kind": parsed_kind, "rating": rating},
    )
    return feedback
