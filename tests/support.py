"""Small helpers shared by the foundation's tests (beside `tests/helpers.py`).

They read rows straight from the database to prove what a request did or did not write, open
clients at other client addresses, and append audit events about a customer.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from starlette.applications import Starlette

from app.db import Database
from app.kit.actor import Actor
from app.kit.crypto import token_hash
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.tables import (
    AUDIT_EVENTS,
    IDEMPOTENCY_RECORDS,
    LOGIN_FAILURES,
    LOGIN_SESSIONS,
    MASTER_KEYS,
)

CLIENT_ADDR = "203.0.113.7"
ADMIRAL = str(Path(sys.executable).parent / "admiral")

COUNTED = {
    "master_keys": MASTER_KEYS,
    "login_sessions": LOGIN_SESSIONS,
    "audit_events": AUDIT_EVENTS,
    "idempotency_records": IDEMPOTENCY_RECORDS,
    "login_failures": LOGIN_FAILURES,
}


async def rows(db: Database, statement: sa.Select[Any]) -> list[sa.Row[Any]]:
    async with db.write_engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def counts(db: Database) -> dict[str, int]:
    """Rows in every table a foundation mutation may write."""
    found = {}
    for name, table in COUNTED.items():
        statement = sa.select(sa.func.count()).select_from(table)
        found[name] = int((await rows(db, statement))[0][0])
    return found


async def audit_events(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(AUDIT_EVENTS).order_by(AUDIT_EVENTS.c.seq))


async def master_key_id(db: Database, token: str) -> str:
    found = await rows(
        db, sa.select(MASTER_KEYS.c.id).where(MASTER_KEYS.c.key_hash == token_hash(token))
    )
    return encode("mky", found[0].id)


async def session_row(db: Database, token: str) -> sa.Row[Any]:
    found = await rows(
        db, sa.select(LOGIN_SESSIONS).where(LOGIN_SESSIONS.c.token_hash == token_hash(token))
    )
    return found[0]


async def session_id(db: Database, token: str) -> str:
    return encode("ses", (await session_row(db, token)).id)


async def record_event(
    db: Database,
    action: str,
    *,
    customer_id: uuid.UUID | None = None,
    target_id: str | None = None,
    actor: Actor | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit event the way a service does, in its own unit of work."""

    async def record(uow: UnitOfWork) -> None:
        uow.record(action, "Customer", target_id, after=after or {"n": 1}, customer_id=customer_id)

    await db.run(record, actor=actor or Actor.system("test"), row_scope=EVERYTHING)


def client_at(app: Starlette, address: str) -> httpx.AsyncClient:
    """A client calling the same app from another client address."""
    transport = httpx.ASGITransport(app=app, client=(address, 50001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def add_rows(db: Database, *items: Any) -> None:
    """Insert many ORM rows in one transaction (faster than one factory call each)."""
    async with db.write_session() as session:
        session.add_all(items)
        await session.commit()


async def empty_tables(db: Database) -> None:
    """Delete every row (what the autouse fixture does after each test)."""
    from app.models import metadata

    async with db.write_engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(sa.delete(table))


def admiral_env(database: Path, **settings: str) -> dict[str, str]:
    """The environment an operator gives the `admiral` command: a SQLite file beside its
    secret, cheap password hashing, and nothing inherited from the caller's ADMIRAL_* settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADMIRAL_")}
    env.update(
        ADMIRAL_DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        ADMIRAL_SECRET_FILE=str(database.parent / "secret"),
        ADMIRAL_ARGON2_TIME_COST="1",
        ADMIRAL_ARGON2_MEMORY_COST="1024",
    )
    env.update({f"ADMIRAL_{name.upper()}": value for name, value in settings.items()})
    return env
