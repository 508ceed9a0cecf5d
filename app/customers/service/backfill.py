"""Owners backfill: every customer without an OWNER gets its billing-email user as OWNER."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from app.customers import repository
from app.customers.service.members import membership_view, record_membership
from app.kit import clock
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import (
    MemberRole,
    Membership,
)
from app.models.users import User


@dataclass(frozen=True, slots=True)
class Backfill:
    memberships: list[Membership] = field(default_factory=list)
    promoted: int = 0
    skipped: list[uuid.UUID] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.memberships)


async def backfill_owners(uow: UnitOfWork) -> Backfill:
    """Give every customer without an OWNER its billing-email user as OWNER.

    A customer whose billing email names no live user is skipped (and reported); running it
    again changes nothing, since every customer it fixed now has an OWNER.
    """
    rows = await repository.owner_backfill_candidates(uow.session)
    promoted = await repository.memberships_by_ids(
        uow.session, [row.membership_id for row in rows if row.membership_id is not None]
    )
    roles_before = {membership.id: membership.role for membership in promoted}
    for membership in promoted:
        membership.role = MemberRole.OWNER
    now = clock.now()
    created = [
        Membership(
            customer_id=row.customer_id, user_id=row.user_id, role=MemberRole.OWNER, created_at=now
        )
        for row in rows
        if row.user_id is not None and row.membership_id is None
    ]
    uow.session.add_all(created)
    await uow.session.flush()
    for membership in promoted:
        before = {
            "userId": encode(User.PREFIX, membership.user_id),
            "role": roles_before[membership.id],
        }
        record_membership(uow, "members.backfill", membership, before, membership_view(membership))
    for membership in created:
        record_membership(uow, "members.backfill", membership, {}, membership_view(membership))
    skipped = [row.customer_id for row in rows if row.user_id is None]
    return Backfill([*promoted, *created], len(promoted), skipped)
