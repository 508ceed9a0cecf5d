"""`GET /metrics`: who may scrape, the request counters by operation and outcome, the bounded
operation label, the read-path counter, and the gauges read from the process and the queues."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from app.db import Database
from app.kit.actor import Actor, ActorType
from app.kit.requestlog import note_actor, note_operation
from app.models.mail import Email, EmailStatus
from app.models.outbox import OutboxEvent
from app.rest.metrics import MAX_OPERATION_NAMES, Metrics
from tests.helpers import Factory, GraphQL, Mutation, World


async def scrape(
    client: httpx.AsyncClient, token: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_scraping_needs_a_master_unless_public(
    client: httpx.AsyncClient, world: World, app: Starlette
) -> None:
    anonymous = await client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="admiral"'
    bad = await client.get("/metrics", headers={"Authorization": "Bearer admk_nope"})
    assert bad.status_code == 401
    for token in (world.owner_token, world.read_only_token):
        session = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert session.status_code == 403
        assert session.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (
        "admiral_requests_total"
        in (await client.get("/metrics", headers={"Authorization": f"Bearer {world.master}"})).text
    )
    staff = await client.get("/metrics", headers={"Authorization": f"Bearer {world.staff_token}"})
    assert staff.status_code == 200

    original = app.state.settings
    app.state.settings = original.model_copy(update={"metrics_public": True})
    try:
        opened = await client.get("/metrics")
    finally:
        app.state.settings = original
    assert opened.status_code == 200
    assert "admiral_http_requests_total" in opened.text


async def test_requests_by_operation_and_outcome(
    client: httpx.AsyncClient, gql: GraphQL, world: World
) -> None:
    before = await scrape(client, world.master)
    await gql.ok("query Probe { me { scope } }", token=world.master)
    await gql.ok("query Probe { me { scope } }", token=world.master)
    await gql.ok("{ me { scope } }", token=world.master)
    refused = await Mutation("logsPrune", "deleted").refused(
        gql, {"retentionDays": 0}, token=world.master
    )
    assert refused
    forbidden = await gql("query Probe { logs { totalCount } }", token=world.owner_token)
    assert forbidden.codes == ["FORBIDDEN"]
    unauthenticated = await gql("query Probe { me { scope } }", token="admk_wrong")
    assert unauthenticated.status == 401
    await client.post("/v1/feedback", json={})  # 401: no session
    after = await scrape(client, world.master)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    total = "admiral_requests_total"
    assert grew(total, kind="graphql", operation="Probe", outcome="ok") == 2
    assert grew(total, kind="graphql", operation="anonymous", outcome="ok") == 1
    assert grew(total, kind="graphql", operation="anonymous", outcome="user_error") == 1
    assert grew(total, kind="graphql", operation="Probe", outcome="user_error") == 1
    assert grew(total, kind="graphql", operation="unknown", outcome="user_error") == 1
    assert grew(total, kind="rest", operation="/v1/feedback", outcome="user_error") == 1
    assert grew(total, kind="rest", operation="/metrics", outcome="ok") == 1  # `before`
    histogram = "admiral_request_duration_seconds_count"
    assert grew(histogram, kind="graphql", operation="Probe") == 3
    # Queries only, all of them on the ordinary path so far.
    assert grew("admiral_read_path_total", path="ordinary") == 4
    assert value(after, "admiral_read_path_total", path="compiled") == 0
    assert ("admiral_read_path_total", (("path", "compiled"),)) in after


async def test_an_unexpected_error_counts_as_error(
    client: httpx.AsyncClient, gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.graphql.auth import queries as auth_queries

    async def aboom(*_: object, **__: object) -> object:
        raise RuntimeError("no")

    monkeypatch.setattr(auth_queries, "read_unscoped", aboom)
    before = await scrape(client, world.master)
    response = await gql("query Broken { me { user { id } } }", token=world.owner_token)
    assert response.codes == ["INTERNAL_SERVER_ERROR"]
    after = await scrape(client, world.master)
    labels = {"kind": "graphql", "operation": "Broken", "outcome": "error"}
    assert (
        value(after, "admiral_requests_total", **labels)
        - value(before, "admiral_requests_total", **labels)
        == 1
    )


def test_the_operation_label_is_bounded(db: Database) -> None:
    metrics = Metrics(db)
    actor = Actor(ActorType.MASTER_KEY, "mky_1")

    def label(name: str | None, *, signed_in: bool = True, parsed: bool = True) -> str:
        scope: dict[str, object] = {}
        if signed_in:
            note_actor(scope, actor)
        if parsed:
            note_operation(scope, name, "query")
        return metrics.operation_label(scope)

    names = [f"Op{number}" for number in range(MAX_OPERATION_NAMES)]
    assert label("Stranger", signed_in=False) == "other"  # strangers never add a name
    assert [label(name) for name in names] == names
    assert label("OneTooMany") == "other"
    assert label(names[0]) == names[0]  # names already known keep their series
    assert label(None) == "anonymous"
    assert label("Probe", parsed=False) == "unknown"
    assert label("not a name!") == "anonymous"  # free text is never a label


async def test_gauges_of_the_process_and_the_queues(
    client: httpx.AsyncClient, world: World, factory: Factory, app: Starlette
) -> None:
    await factory._add(
        OutboxEvent(event_type="user.created", data={}),
        OutboxEvent(event_type="user.created", data={}),
        Email(
            event_id=uuid.uuid4(),
            template="welcome",
            to_address="a@example.com",
            subject="Hi",
            status=EmailStatus.QUEUED,
        ),
    )
    metrics: Metrics = app.state.metrics
    metrics._figures_at = float("-inf")  # the figures are cached for a few seconds
    samples = await scrape(client, world.master)
    assert value(samples, "admiral_outbox_pending_events") == 2
    assert value(samples, "admiral_mails", status="queued") == 1
    assert value(samples, "admiral_mails", status="pending") == 0
    assert value(samples, "admiral_webhook_deliveries", status="failed") == 0
    assert ("admiral_webhook_deliveries", (("status", "pending"),)) in samples
    assert ("admiral_usage_pending_events", ()) in samples
    assert ("admiral_usage_lag_seconds", ()) in samples
    assert ("admiral_db_pool_connections_in_use", (("engine", "write"),)) in samples
    assert value(samples, "admiral_sql_statements_total") > 0
    for name in ("dropped", "sampled_out", "written", "failed"):
        assert (f"admiral_log_entries_{name}_total", ()) in samples
    assert ("admiral_log_queue_entries", ()) in samples
    # Within the cache's lifetime a scrape reads no queue figures again.
    await factory._add(OutboxEvent(event_type="user.created", data={}))
    assert value(await scrape(client, world.master), "admiral_outbox_pending_events") == 2


async def test_the_log_writer_s_drops_are_exported(
    client: httpx.AsyncClient, world: World, app: Starlette
) -> None:
    logs = app.state.runtime.logs
    before = value(await scrape(client, world.master), "admiral_log_entries_dropped_total")
    logs.stats.dropped += 3
    after = value(await scrape(client, world.master), "admiral_log_entries_dropped_total")
    assert after - before == 3
    assert re.fullmatch(r"\d+(\.\d+)?", str(after))
