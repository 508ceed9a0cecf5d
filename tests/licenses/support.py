"""Helpers of the licenses tests: licenses issued through the API, the product's endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from app.db import Database
from app.models.licenses import LICENSES, SIGNING_KEYS
from app.models.tables import AUDIT_EVENTS, IDEMPOTENCY_RECORDS, OUTBOX_EVENTS
from tests.helpers import GraphQL, Mutation, World, gid
from tests.support import rows

LICENSE = (
    "id keyHint status planCode entitlements maxMachines metadata expiresAt suspendedAt "
    "billingSuspendedAt revokedAt revokedReason signingKeyId customer { slug } "
    "machines { id fingerprint hostname alive deactivatedAt } activations { fingerprint event }"
)
LICENSE_ISSUE = Mutation("licenseIssue", f"license {{ {LICENSE} }} key")
LICENSE_UPDATE = Mutation("licenseUpdate", f"license {{ {LICENSE} }}")
LICENSE_SUSPEND = Mutation("licenseSuspend", f"license {{ {LICENSE} }}")
LICENSE_REINSTATE = Mutation("licenseReinstate", f"license {{ {LICENSE} }}")
LICENSE_REVOKE = Mutation("licenseRevoke", f"license {{ {LICENSE} }}")
LICENSE_REISSUE = Mutation("licenseReissue", f"license {{ {LICENSE} }} key")
MACHINE_DEACTIVATE = Mutation(
    "licenseMachineDeactivate", f"machine {{ id alive deactivatedAt }} license {{ {LICENSE} }}"
)
SIGNING_KEY = "id kid algorithm publicKey status retiresAt projectId"
SIGNING_KEY_ROTATE = Mutation(
    "signingKeyRotate", f"signingKey {{ {SIGNING_KEY} }} retiring {{ {SIGNING_KEY} }}"
)


def new_license(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "customerId": gid("cus", world.own),
        "entitlements": ["sso", "audit-log"],
        "maxMachines": 2,
        **fields,
    }


async def issue(gql: GraphQL, token: str, input: dict[str, Any]) -> tuple[dict[str, Any], str]:
    payload = await LICENSE_ISSUE.ok(gql, input, token=token)
    return payload["license"], payload["key"]


async def validate(
    client: httpx.AsyncClient, key: str, fingerprint: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key}
    if fingerprint is not None:
        body["fingerprint"] = fingerprint
    response = await client.post("/v1/licenses/validate", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def heartbeat(
    client: httpx.AsyncClient, key: str, fingerprint: str | None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key, **extra}
    if fingerprint is not None:
        body["fingerprint"] = fingerprint
    response = await client.post("/v1/licenses/heartbeat", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def counts(db: Database) -> dict[str, int]:
    found = {}
    for name, table in {
        "licenses": LICENSES,
        "signing_keys": SIGNING_KEYS,
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
