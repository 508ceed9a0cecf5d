"""Helpers for the users domain's tests: its mutations, database probes, logins."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.crypto import token_hash
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Feedback, FeedbackKind, Invitation, MemberRole, PasswordResetToken, User
from app.models.tables import (
    AUDIT_EVENTS,
    FEEDBACK,
    IDEMPOTENCY_RECORDS,
    INVITATIONS,
    LOGIN_SESSIONS,
    MASTER_KEYS,
    MEMBERSHIPS,
    PASSWORD_RESET_TOKENS,
    USER_NOTES,
    USERS,
)
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation

# ---------------------------------------------------------------- mutations


USER_FIELDS = (
    "id email name status isStaff metadata suspension { reason until by } block { reason at }"
)

USER_CREATE = Mutation("userCreate", f"user {{ {USER_FIELDS} }}")
USER_UPDATE = Mutation("userUpdate", f"user {{ {USER_FIELDS} }}")
USER_SUSPEND = Mutation("userSuspend", f"user {{ {USER_FIELDS} }} revokedSessions")
USER_UNSUSPEND = Mutation("userUnsuspend", f"user {{ {USER_FIELDS} }}")
USER_BLOCK = Mutation("userBlock", f"user {{ {USER_FIELDS} }} revokedSessions")
USER_UNBLOCK = Mutation("userUnblock", f"user {{ {USER_FIELDS} }}")
USER_DELETE = Mutation(
    "userDelete", "user { id email name status } deletedUserId removed { kind count }"
)
USER_PASSWORD_RESET = Mutation("userPasswordReset", "user { id } resetUrl expiresAt")
USER_SIGN_OUT = Mutation("userSignOut", "user { id } revokedCount")
USER_IMPERSONATE = Mutation(
    "userImpersonate",
    "token expiresAt readOnly session { id kind readOnly expiresAt } user { id email }",
)
USER_NOTE_CREATE = Mutation("userNoteCreate", "note { id category body authorId createdAt }")
USER_NOTE_DELETE = Mutation("userNoteDelete", "deletedNoteId")

# Login tests compare whole error lists, by code.
SESSION_CREATE = Mutation("sessionCreate", "token", user_errors="code")
SESSION_REVOKE = Mutation("sessionRevoke", "session { id revokedAt }")


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def uid(user: User) -> str:
    return encode("usr", user.id)


def unknown_user_id() -> str:
    return encode("usr", uuid.uuid4())


# ---------------------------------------------------------------- reading back


USER_DETAIL = """
query($id: ID!) {
  user(id: $id) {
    id email name status isStaff metadata lastSeenAt
    suspension { reason until by }
    block { reason at }
    notesCount
    notes(first: 50) { totalCount edges { node { id category body authorId } } }
  }
}"""


async def user_detail(gql: GraphQL, user_id: str, token: str) -> dict[str, Any]:
    data = await gql.ok(USER_DETAIL, {"id": user_id}, token=token)
    found: dict[str, Any] = data["user"]
    return found


async def login(gql: GraphQL, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, Any]:
    """The sessionCreate payload of a login attempt."""
    return await SESSION_CREATE.payload(gql, {"email": email, "password": password})


async def token_works(gql: GraphQL, token: str) -> bool:
    """Whether a bearer token is still accepted (a refused one gets HTTP 401)."""
    response = await gql("{ me { scope } }", token=token)
    assert response.status in (200, 401), response.body
    return response.status == 200


# ---------------------------------------------------------------- the database


async def rows(db: Database, statement: sa.Select[Any]) -> list[sa.Row[Any]]:
    async with db.write_engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def count(db: Database, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    statement = sa.select(sa.func.count()).select_from(table)
    if where:
        statement = statement.where(*where)
    return int((await rows(db, statement))[0][0])


async def events(db: Database, action: str | None = None) -> list[sa.Row[Any]]:
    statement = sa.select(AUDIT_EVENTS).order_by(AUDIT_EVENTS.c.seq)
    if action is not None:
        statement = statement.where(AUDIT_EVENTS.c.action == action)
    return await rows(db, statement)


async def notes_of(db: Database, user: User) -> list[sa.Row[Any]]:
    return await rows(
        db,
        sa.select(USER_NOTES)
        .where(USER_NOTES.c.user_id == user.id)
        .order_by(USER_NOTES.c.created_at, USER_NOTES.c.id),
    )


async def user_row(db: Database, user: User) -> sa.Row[Any] | None:
    found = await rows(db, sa.select(USERS).where(USERS.c.id == user.id))
    return found[0] if found else None


async def live_sessions(db: Database, user: User) -> int:
    return await count(
        db,
        LOGIN_SESSIONS,
        LOGIN_SESSIONS.c.user_id == user.id,
        LOGIN_SESSIONS.c.revoked_at.is_(None),
    )


# Every table a users mutation may write; master keys are left out (using one touches it).
WRITTEN_TABLES = (
    USERS,
    USER_NOTES,
    LOGIN_SESSIONS,
    AUDIT_EVENTS,
    PASSWORD_RESET_TOKENS,
    MEMBERSHIPS,
    FEEDBACK,
    IDEMPOTENCY_RECORDS,
    INVITATIONS,
)
# Columns a request may touch merely by authenticating.
TOUCHED_COLUMNS = {"last_seen_at", "last_used_at"}


async def snapshot(db: Database, *, without: tuple[sa.Table, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table a users mutation may write, to prove nothing changed."""
    found: dict[str, list[str]] = {}
    for table in WRITTEN_TABLES:
        if table in without:
            continue
        columns = [column for column in table.c if column.name not in TOUCHED_COLUMNS]
        found[table.name] = sorted(repr(tuple(row)) for row in await rows(db, sa.select(*columns)))
    return found


async def everything_as_text(db: Database) -> str:
    """All rows of all tables a users mutation may write, plus master keys, as one string."""
    parts: list[str] = []
    for table in (*WRITTEN_TABLES, MASTER_KEYS):
        parts.extend(repr(tuple(row)) for row in await rows(db, sa.select(table)))
    return "\n".join(parts)


async def reset_token_rows(db: Database, user: User) -> list[sa.Row[Any]]:
    return await rows(
        db, sa.select(PASSWORD_RESET_TOKENS).where(PASSWORD_RESET_TOKENS.c.user_id == user.id)
    )


async def add_feedback(
    factory: Factory,
    user: User,
    kind: FeedbackKind = FeedbackKind.IDEA,
    message: str = "More charts",
    *,
    rating: int | None = 4,
    age: timedelta = timedelta(0),
) -> Feedback:
    row = Feedback(
        user_id=user.id,
        kind=kind,
        message=message,
        rating=rating,
        created_at=clock.now() - age,
    )
    async with factory.db.write_session() as session:
        session.add(row)
        await session.commit()
    return row


async def add_event(db: Database, action: str, target: User, actor: Actor | None = None) -> None:
    """Append one audit event about `target`, the way a service does."""

    async def record(uow: UnitOfWork) -> None:
        uow.record(action, "User", uid(target), after={"n": 1})

    await db.run(record, actor=actor or Actor.system("test"), row_scope=EVERYTHING)


async def add_invitation(factory: Factory, customer_id: uuid.UUID, inviter: User) -> Invitation:
    now = clock.now()
    row = Invitation(
        customer_id=customer_id,
        email=f"invitee-{uuid.uuid4().hex[:8]}@example.com",
        role=MemberRole.MEMBER,
        token_hash=token_hash(uuid.uuid4().hex),
        invited_by_user_id=inviter.id,
        invited_by=uid(inviter),
        created_at=now,
        expires_at=now + timedelta(days=7),
    )
    async with factory.db.write_session() as session:
        session.add(row)
        await session.commit()
    return row


async def add_reset_token(factory: Factory, user: User) -> PasswordResetToken:
    now = clock.now()
    row = PasswordResetToken(
        user_id=user.id,
        token_hash=token_hash(uuid.uuid4().hex),
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    async with factory.db.write_session() as session:
        session.add(row)
        await session.commit()
    return row


# ---------------------------------------------------------------- REST


def reset_token_of(url: str) -> str:
    return url.split("token=", 1)[1]


NEW_PASSWORD = "a much better password"


async def complete_reset(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post("/v1/password-reset", json={"token": token, "password": password})


async def send_feedback(
    client: httpx.AsyncClient, token: str | None, body: dict[str, Any]
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post("/v1/feedback", json=body, headers=headers)


def rest_error(response: httpx.Response) -> dict[str, Any]:
    """The `extensions` of the single error of a REST error response."""
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    extensions: dict[str, Any] = errors[0]["extensions"]
    return extensions
