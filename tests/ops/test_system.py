"""`system` and `GET /health`: the database, Redis, every queue, the aggregator, outside services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.db import Database
from app.kit import clock
from app.main import create_app, declared_loops
from app.migrate import head_revision
from app.models.webhooks import DeliveryStatus
from app.ops.system import FAILED_THRESHOLD
from app.settings import Settings
from tests.conftest import make_settings
from tests.helpers import GraphQL, World
from tests.ops.queue_rows import delivery
from tests.support import add_rows
from tests.webhooks.support import endpoint

SYSTEM = """
{
  system {
    version uptimeSeconds status
    database { ok latencyMs migrationHead migrationsAtHead pool { size inUse } }
    redis { configured ok latencyMs }
    queues { name loop pending running failed oldestAgeSeconds status }
    usageAggregator {
      enabled flushIntervalMs pendingEvents lastFlushAt lastFlushDurationMs lastFlushBucketCount
      flushedTotal errorsTotal lastError lagSeconds prunes lastPruneAt
    }
    stripe { configured reachable }
    dependencies { name url ok latencyMs }
  }
}"""

UNREACHABLE = "http://127.0.0.1:1"

AppAt = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, str]]]


@pytest.fixture
def app_at(settings: Settings, tmp_path: Path, master_token: str) -> AppAt:
    """Another instance of the app on the same database, with other settings."""

    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        application: Starlette = create_app(
            make_settings(settings.database_url, tmp_path / "secret", **overrides)
        )
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client, master_token
        finally:
            await application.state.db.dispose()

    return open_app


async def _system(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": SYSTEM}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["system"]
    return found


async def test_the_report_of_a_healthy_system(
    gql: GraphQL, master_token: str, db: Database, settings: Settings
) -> None:
    found = (await gql.ok(SYSTEM, token=master_token))["system"]
    assert found["status"] == "OK"
    assert found["version"] == "0.1.0"
    assert found["uptimeSeconds"] >= 0
    database = found["database"]
    assert database["ok"] is True
    assert database["migrationHead"] == head_revision()
    assert database["migrationsAtHead"] is True
    assert 0 <= database["latencyMs"] < 5000
    assert database["pool"]["inUse"] >= 0
    assert found["redis"] == {"configured": False, "ok": False, "latencyMs": None}
    assert found["stripe"] == {"configured": False, "reachable": None}
    assert found["dependencies"] == []
    assert {queue["status"] for queue in found["queues"]} == {"OK"}
    assert found["usageAggregator"]["pendingEvents"] == 0


async def test_every_background_loop_has_its_queue(
    gql: GraphQL, master_token: str, db: Database, settings: Settings
) -> None:
    queues = (await gql.ok(SYSTEM, token=master_token))["system"]["queues"]
    names = {queue["name"] for queue in queues}
    assert {
        "outbox",
        "webhook_deliveries",
        "emails",
        "billing_renewals",
        "payments",
        "usage_aggregation",
        "license_billing",
        "keys_last_used",
        "alerts",
        "log_retention",
    } <= names
    # A loop added later without a queue here fails this test.
    assert {loop.name for loop in declared_loops(db, settings)} <= {q["loop"] for q in queues}


async def test_more_than_ten_failed_jobs_degrade_the_queue(
    gql: GraphQL, master_token: str, db: Database, settings: Settings, world: World
) -> None:
    hook = await endpoint(db, world.own, "http://127.0.0.1:9/hooks", settings=settings)
    now = clock.now()
    failed = [
        delivery(world.own, hook.endpoint.id, DeliveryStatus.FAILED, now - timedelta(minutes=n))
        for n in range(FAILED_THRESHOLD)
    ]
    waiting = delivery(
        world.own, hook.endpoint.id, DeliveryStatus.PENDING, now - timedelta(minutes=5)
    )
    await add_rows(db, *failed, waiting)

    def deliveries(found: dict[str, Any]) -> dict[str, Any]:
        return next(q for q in found["queues"] if q["name"] == "webhook_deliveries")

    found = (await gql.ok(SYSTEM, token=master_token))["system"]
    queue = deliveries(found)
    assert (queue["failed"], queue["pending"], queue["status"]) == (10, 1, "OK")
    assert found["status"] == "OK"
    assert 299 <= queue["oldestAgeSeconds"] < 400  # due five minutes ago
    await add_rows(
        db, delivery(world.own, hook.endpoint.id, DeliveryStatus.FAILED, now - timedelta(hours=1))
    )
    found = (await gql.ok(SYSTEM, token=master_token))["system"]
    assert deliveries(found)["status"] == "DEGRADED"
    assert deliveries(found)["failed"] == 11
    assert found["status"] == "DEGRADED"


async def test_system_is_for_masters(gql: GraphQL, world: World) -> None:
    response = await gql(SYSTEM, token=world.owner_token)
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"system": None}
    anonymous = await gql(SYSTEM)
    assert anonymous.status == 401


async def test_unreachable_outside_services_degrade_the_system(app_at: AppAt) -> None:
    async with app_at(
        redis_url="redis://127.0.0.1:1/0",
        stripe_api_key="sk_test_unused",
        stripe_api_base=UNREACHABLE,
        smtp_url="smtp://user:secret@127.0.0.1:1",
    ) as (client, token):
        found = await _system(client, token)
    assert found["status"] == "DEGRADED"
    assert found["redis"] == {"configured": True, "ok": False, "latencyMs": None}
    assert found["stripe"] == {"configured": True, "reachable": False}
    assert {d["name"]: (d["ok"], d["url"]) for d in found["dependencies"]} == {
        "redis": (False, "redis://127.0.0.1:1"),
        "stripe": (False, UNREACHABLE),
        "smtp": (False, "smtp://127.0.0.1:1"),  # never the credentials
    }
    assert found["database"]["ok"] is True


async def test_a_reachable_stripe(app_at: AppAt) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with app_at(
            stripe_api_key="sk_test_unused", stripe_api_base=f"http://127.0.0.1:{port}"
        ) as (client, token):
            found = await _system(client, token)
    finally:
        server.close()
    assert found["stripe"] == {"configured": True, "reachable": True}
    assert found["status"] == "OK"


# ---------------------------------------------------------------- GET /health


async def test_health_without_credentials_is_the_public_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert set(response.json()) == {"status", "components"}


async def test_health_with_a_master_key_adds_the_system_report(
    client: httpx.AsyncClient, gql: GraphQL, master_token: str
) -> None:
    response = await client.get("/health", headers={"Authorization": f"Bearer {master_token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    report = body["system"]
    graphql = (await gql.ok(SYSTEM, token=master_token))["system"]
    volatile = {"uptimeSeconds", "database", "usageAggregator"}
    assert set(report) >= set(graphql)
    assert {k: v for k, v in report.items() if k in graphql and k not in volatile} == {
        k: v for k, v in graphql.items() if k not in volatile
    }
    assert report["database"]["migrationHead"] == graphql["database"]["migrationHead"]
    assert set(report["usageAggregator"]) >= set(graphql["usageAggregator"])


async def test_failed_jobs_do_not_fail_the_health_check(
    client: httpx.AsyncClient, master_token: str, db: Database, settings: Settings, world: World
) -> None:
    hook = await endpoint(db, world.own, "http://127.0.0.1:9/hooks", settings=settings)
    now = clock.now()
    await add_rows(
        db,
        *(
            delivery(world.own, hook.endpoint.id, DeliveryStatus.FAILED, now)
            for _ in range(FAILED_THRESHOLD + 1)
        ),
    )
    response = await client.get("/health", headers={"Authorization": f"Bearer {master_token}"})
    # The process serves: a load balancer must keep it; the report says what is wrong.
    assert response.status_code == 200
    assert response.json()["system"]["status"] == "DEGRADED"


async def test_health_refuses_bad_and_non_master_tokens(
    client: httpx.AsyncClient, world: World
) -> None:
    bad = await client.get("/health", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    owner = await client.get("/health", headers={"Authorization": f"Bearer {world.owner_token}"})
    assert owner.status_code == 403
    assert "system" not in owner.json()


async def test_live_and_ready_stay_cheap(
    client: httpx.AsyncClient, db: Database, master_token: str
) -> None:
    before = db.statements.total
    assert (await client.get("/live")).status_code == 200
    assert db.statements.total == before  # no database at all
    assert (await client.get("/ready")).status_code == 200
    # A ping and the migration revision (SQLite counts its BEGINs too); no queue, no network.
    assert db.statements.total - before <= 4
