"""Deleting a user: scrubbing their personal data, or removing them and all that hangs off them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.models import (
    User,
    UserStatus,
)
from app.models.tables import (
    MEMBERSHIPS,
)
from app.users import repository
from app.users.service.common import (
    load,
    public_id,
    publish_user_event,
    require_not_deleted,
)


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
        require_not_deleted(user)
    orphaned = await repository.sole_owner_customer_ids(uow.session, user.id)
    if orphaned:
        raise UserInputError(
            f"This user is the last OWNER of {len(orphaned)} customer(s): "
            "make someone else OWNER first.",
            ErrorCode.LAST_OWNER,
            "userId",
        )
    # Published while the user's memberships still say which customers to tell.
    await publish_user_event(uow, "user.deleted", user, with_email=False)
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
