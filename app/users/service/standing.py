"""Suspending and blocking, and lifting both; either signs the user out."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models import (
    NoteCategory,
    User,
    UserStatus,
)
from app.models.users import effective_status
from app.outbox.mail import queue_mail
from app.users import repository
from app.users.service.common import (
    MAX_REASON,
    MAX_SUSPENSION_HOURS,
    add_admin_note,
    load,
    publish_user_event,
    record_change,
    require_not_deleted,
    snapshot,
)


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
    require_not_deleted(user)
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
    await add_admin_note(uow, user, NoteCategory.SUSPENSION, f"Suspended {period}: {reason}")
    await uow.session.flush()
    record_change(uow, "user.suspend", user, before)
    await publish_user_event(uow, "user.suspended", user, until=ends)
    queue_mail(
        uow,
        "user_suspended",
        to=user.email,
        context={"name": user.name, "until": ends.isoformat() if ends else None, "reason": reason},
    )
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
    await add_admin_note(
        uow, user, NoteCategory.SUSPENSION, "Suspension lifted" + (f": {reason}" if reason else ".")
    )
    await uow.session.flush()
    record_change(uow, "user.unsuspend", user, before)
    await publish_user_event(uow, "user.unsuspended", user)
    return user


async def block_user(uow: UnitOfWork, *, user_id: uuid.UUID, reason: str) -> tuple[User, int]:
    reason = checked_text(reason, "reason", MAX_REASON)
    user = await load(uow, user_id)
    require_not_deleted(user)
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
    await add_admin_note(uow, user, NoteCategory.SUSPENSION, f"Blocked: {reason}")
    await uow.session.flush()
    record_change(uow, "user.block", user, before)
    await publish_user_event(uow, "user.blocked", user)
    queue_mail(uow, "user_blocked", to=user.email, context={"name": user.name, "reason": reason})
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
    await add_admin_note(
        uow, user, NoteCategory.SUSPENSION, "Unblocked" + (f": {reason}" if reason else ".")
    )
    await uow.session.flush()
    record_change(uow, "user.unblock", user, before)
    await publish_user_event(uow, "user.unblocked", user)
    return user
