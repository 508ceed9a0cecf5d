"""Helpers of the customers tests: mutation documents, rows written directly, table counts."""

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
from tests.helpers import GraphQL, Response
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


def document(operation: str, select: str, *, with_input: bool = True) -> str:
    """A mutation with the standard arguments, asking for `userErrors` and `select`."""
    declared = "$dryRun: Boolean!, $key: String"
    passed = "dryRun: $dryRun, idempotencyKey: $key"
    if with_input:
        declared = f"$input: {operation[0].upper()}{operation[1:]}Input!, {declared}"
        passed = f"input: $input, {passed}"
    return (
        f"mutation({declared}) {{ {operation}({passed}) "
        f"{{ userErrors {{ field message code }} {select} }} }}"
    )


async def mutate(
    gql: GraphQL,
    operation: str,
    input: dict[str, Any] | None,
    *,
    token: str | None,
    select: str = "",
    dry_run: bool = False,
    key: str | None = None,
) -> Response:
    variables: dict[str, Any] = {"dryRun": dry_run, "key": key}
    if input is not None:
        variables["input"] = input
    query = document(operation, select, with_input=input is not None)
    return await gql(query, variables, token=token)


async def ok(
    gql: GraphQL,
    operation: str,
    input: dict[str, Any] | None,
    *,
    token: str | None,
    select: str = "",
    **options: Any,
) -> dict[str, Any]:
    """The payload of a mutation that must succeed."""
    response = await mutate(gql, operation, input, token=token, select=select, **options)
    assert response.status == 200, response.body
    assert not response.errors, response.errors
    payload: dict[str, Any] = response.data[operation]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def refused(
    gql: GraphQL,
    operation: str,
    input: dict[str, Any] | None,
    *,
    token: str | None,
    select: str = "",
) -> list[tuple[str, list[str] | None]]:
    """The (code, field) of each user error of a mutation that must fail as a user error."""
    response = await mutate(gql, operation, input, token=token, select=select)
    assert response.status == 200, response.body
    assert not response.errors, response.errors
    errors = response.data[operation]["userErrors"]
    assert errors, response.data
    return [(error["code"], error["field"]) for error in errors]
