"""Helpers of the customers tests: rows written directly, table counts, audit events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.tokens import INVITATION_PREFIX
from app.db import Database
from app.kit import clock
from app.kit.crypto import random_token, token_hash
from app.models import Customer, Invitation, MemberRole, Project, User
from app.models.tables import (
    AUDIT_EVENTS,
    CUSTOMER_NOTES,
    CUSTOMERS,
    IDEMPOTENCY_RECORDS,
    INVITATIONS,
    MEMBERSHIPS,
    PROJECTS,
)
from tests.support import rows

TABLES = {
    "customers": CUSTOMERS,
    "memberships": MEMBERSHIPS,
    "invitations": INVITATIONS,
    "projects": PROJECTS,
    "customer_notes": CUSTOMER_NOTES,
    "idempotency_records": IDEMPOTENCY_RECORDS,
}


async def counts(db: Database) -> dict[str, int]:
    """Rows of every table these mutations write, and audit events other than the per-request
    events of impersonation (which a read-only session leaves even when refused)."""
    found = {}
    for name, table in TABLES.items():
        statement = sa.select(sa.func.count()).select_from(table)
        found[name] = int((await rows(db, statement))[0][0])
    audited = sa.select(sa.func.count()).where(AUDIT_EVENTS.c.action != "impersonation.request")
    found["audit_events"] = int((await rows(db, audited))[0][0])
    return found


async def events(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)


async def add(db: Database, *new: Any) -> None:
    async with db.write_session() as session:
        session.add_all(new)
        await session.commit()


async def project(
    db: Database, customer: Customer, slug: str = "api", name: str = "API"
) -> Project:
    row = Project(customer_id=customer.id, name=name, slug=slug)
    await add(db, row)
    return row


@dataclass
class Issued:
    invitation: Invitation
    token: str


async def invitation(
    db: Database,
    customer: Customer,
    email: str,
    role: MemberRole = MemberRole.MEMBER,
    *,
    revoked: bool = False,
    accepted_by: User | None = None,
) -> Issued:
    token = random_token(INVITATION_PREFIX)
    now = clock.now()
    row = Invitation(
        customer_id=customer.id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by="test",
        created_at=now,
        expires_at=now + timedelta(days=7),
        revoked_at=now if revoked else None,
        accepted_at=now if accepted_by else None,
        accepted_by_user_id=accepted_by.id if accepted_by else None,
    )
    await add(db, row)
    return Issued(row, token)
