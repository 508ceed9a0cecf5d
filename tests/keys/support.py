"""Helpers of the API keys tests: keys issued through the API, rows and events read back."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database
from app.models.keys import API_KEYS
from app.models.tables import AUDIT_EVENTS, IDEMPOTENCY_RECORDS, OUTBOX_EVENTS
from tests.helpers import GraphQL, Mutation, World, gid
from tests.support import rows

KEY = (
    "id name start environment scopes status enabled createdBy expiresAt revokedAt "
    "revokedReason replacedById planCode ratePerSecond monthlyQuota lastUsedAt "
    "customer { slug } project { slug }"
)
API_KEY_CREATE = Mutation("apiKeyCreate", f"apiKey {{ {KEY} }} secret")
API_KEY_UPDATE = Mutation("apiKeyUpdate", f"apiKey {{ {KEY} }}")
API_KEY_REVOKE = Mutation("apiKeyRevoke", f"apiKey {{ {KEY} }}")
API_KEY_ROTATE = Mutation("apiKeyRotate", f"apiKey {{ {KEY} }} previousApiKey {{ {KEY} }} secret")


def new_key(world: World, **fields: Any) -> dict[str, Any]:
    return {"customerId": gid("cus", world.own), "name": "Server", "environment": "LIVE", **fields}


async def issue(gql: GraphQL, token: str, input: dict[str, Any]) -> tuple[dict[str, Any], str]:
    payload = await API_KEY_CREATE.ok(gql, input, token=token)
    return payload["apiKey"], payload["secret"]


async def counts(db: Database) -> dict[str, int]:
    found = {}
    for name, table in {
        "api_keys": API_KEYS,
        "audit_events": AUDIT_EVENTS,
        "outbox_events": OUTBOX_EVENTS,
        "idempotency_records": IDEMPOTENCY_RECORDS,
    }.items():
        found[name] = int((await rows(db, sa.select(sa.func.count()).select_from(table)))[0][0])
    return found


async def events(db: Database, action: str) -> list[sa.Row[Any]]:
    statement = (
        sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action).order_by(AUDIT_EVENTS.c.seq)
    )
    return await rows(db, statement)


async def outbox(db: Database, event_type: str) -> list[dict[str, Any]]:
    statement = (
        sa.select(OUTBOX_EVENTS.c.data)
        .where(OUTBOX_EVENTS.c.event_type == event_type)
        .order_by(OUTBOX_EVENTS.c.created_at)
    )
    return [row[0] for row in await rows(db, statement)]


async def key_rows(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(API_KEYS).order_by(API_KEYS.c.created_at, API_KEYS.c.id))


async def verify(client: httpx.AsyncClient, token: str | None, key: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post("/v1/keys/verify", json={"key": key}, headers=headers)
