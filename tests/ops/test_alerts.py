"""Alerts: thresholds crossed fire once (posted as Slack JSON to a real local receiver), are
resolved when the figure is back, and are listed by `alerts`; refused and unset URLs are
recorded as undelivered; racing processes fire once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.ids import uuid7
from app.main import declared_loops
from app.models.metrics import CostEntry
from app.models.outbox import OutboxEvent
from app.models.runtime_settings import AlertStatus
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.ops.alerts import Alerts
from app.ops.error_rate import ErrorRate
from app.settings import Settings
from tests.customers.support import add
from tests.helpers import GraphQL, World
from tests.ops.support import alert_rows, put, put_direct
from tests.webhooks.support import Receiver, endpoint, local_settings, receiver

ALERTS = """query($filter: AlertFilter) { alerts(filter: $filter) {
  totalCount edges { node { id kind message value threshold status firedAt resolvedAt
  delivered deliveryError } } } }"""
QUIET = {"failedDeliveries": None, "aggregatorLagSeconds": None, "errorRatePercent": None,
         "runwayDays": None, "outboxAgeSeconds": None}  # fmt: skip


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


async def watching(
    db: Database, settings: Settings, url: str | None, **thresholds: float
) -> Alerts:
    local = local_settings(settings)
    await put_direct(db, local, "alertThresholds", {**QUIET, **thresholds})
    if url is not None:
        await put_direct(db, local, "alertWebhookUrl", url)
    return Alerts(db, local, errors=ErrorRate())


async def stale_event(db: Database, age: timedelta) -> OutboxEvent:
    event = OutboxEvent(event_type="customer.updated", created_at=clock.now() - age)
    await add(db, event)
    return event


def bodies(found: Receiver) -> list[dict[str, Any]]:
    return [json.loads(item.body) for item in found.received]


async def test_fires_once_then_resolves(
    db: Database, settings: Settings, hook: Receiver, gql: GraphQL, world: World
) -> None:
    alerts = await watching(db, settings, hook.url, outboxAgeSeconds=60)
    try:
        assert await alerts.step() == []  # nothing pending: age 0
        await stale_event(db, timedelta(minutes=10))
        [fired] = await alerts.step()
        assert fired.kind == "OUTBOX_AGE"
        assert fired.delivered is True
        [body] = bodies(hook)
        assert body["text"].startswith("[FIRING] OUTBOX_AGE: Oldest undispatched outbox event")
        assert "above the threshold of 60 s" in body["text"]
        assert body["blocks"][0]["type"] == "section"
        assert "*[FIRING] OUTBOX_AGE*" in body["blocks"][0]["text"]["text"]
        assert "threshold 60" in body["blocks"][1]["elements"][0]["text"]
        assert hook.received[0].headers["content-type"] == "application/json"
        # Still crossed: nothing more is posted or recorded.
        assert await alerts.step() == []
        assert await alerts.step() == []
        assert len(hook.received) == 1
        async with db.write_session() as session:
            await session.execute(
                sa.update(OutboxEvent.__table__).values(dispatched_at=clock.now())  # type: ignore[attr-defined]
            )
            await session.commit()
        [resolved] = await alerts.step()
        assert resolved.status is AlertStatus.RESOLVED
        assert bodies(hook)[1]["text"].startswith("[RESOLVED] OUTBOX_AGE")
        [row] = await alert_rows(db)
        assert row.status == "RESOLVED"
        assert row.resolved_at is not None
        assert 590 <= row.value <= 700
        assert row.threshold == 60
        # Crossing again is a new alert.
        await stale_event(db, timedelta(minutes=5))
        [again] = await alerts.step()
        assert again.id != row.id
        assert len(await alert_rows(db)) == 2
    finally:
        await alerts.close()

    listed = await gql.ok(ALERTS, token=world.master)
    assert listed["alerts"]["totalCount"] == 2
    newest, oldest = (edge["node"] for edge in listed["alerts"]["edges"])
    assert (newest["status"], oldest["status"]) == ("FIRING", "RESOLVED")
    assert oldest["resolvedAt"] is not None
    assert oldest["delivered"] is True
    firing = await gql.ok(ALERTS, {"filter": {"status": "FIRING"}}, token=world.master)
    assert [e["node"]["id"] for e in firing["alerts"]["edges"]] == [newest["id"]]
    later = (clock.now() + timedelta(minutes=1)).isoformat()
    none = await gql.ok(ALERTS, {"filter": {"from": later}}, token=world.master)
    assert none["alerts"]["totalCount"] == 0
    before = await gql.ok(ALERTS, {"filter": {"to": later}}, token=world.master)
    assert before["alerts"]["totalCount"] == 2


async def test_only_masters_list_alerts(gql: GraphQL, world: World) -> None:
    assert (await gql.ok(ALERTS, token=world.staff_token))["alerts"]["totalCount"] == 0
    response = await gql(ALERTS, token=world.owner_token)
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"alerts": None}


async def test_unset_and_refused_urls_are_recorded_undelivered(
    db: Database, settings: Settings, hook: Receiver
) -> None:
    alerts = await watching(db, settings, None, outboxAgeSeconds=60)
    try:
        await stale_event(db, timedelta(minutes=10))
        [fired] = await alerts.step()
        assert (fired.delivered, fired.delivery_error) == (False, "No alertWebhookUrl is set.")
    finally:
        await alerts.close()
    # The URL was stored while local addresses were allowed; a process without that
    # allowance refuses to post to it at send time (the address is checked at every send).
    await put_direct(db, local_settings(settings), "alertWebhookUrl", hook.url)
    strict = Alerts(db, settings.model_copy(update={"webhooks_allow_http": True}))
    try:
        await put_direct(db, local_settings(settings), "alertThresholds", {"outboxAgeSeconds": 1})
        async with db.write_session() as session:
            await session.execute(sa.delete(OutboxEvent.__table__))  # type: ignore[attr-defined]
            await session.commit()
        [resolved] = await strict.step()
        assert resolved.status is AlertStatus.RESOLVED
        await stale_event(db, timedelta(minutes=10))
        [fired] = await strict.step()
        assert fired.delivered is False
        assert fired.delivery_error is not None
        assert "loopback" in fired.delivery_error
    finally:
        await strict.close()
    assert hook.received == []
    rows = await alert_rows(db)
    assert [row.delivered for row in rows] == [False, False]


async def test_a_failing_receiver_is_recorded(db: Database, settings: Settings) -> None:
    async with receiver(500) as failing:
        alerts = await watching(db, settings, failing.url, outboxAgeSeconds=60)
        try:
            await stale_event(db, timedelta(minutes=10))
            [fired] = await alerts.step()
        finally:
            await alerts.close()
        assert len(failing.received) == 1
    assert fired.delivered is False
    assert fired.delivery_error == "Answered HTTP 500."


async def test_racing_processes_fire_once(db: Database, settings: Settings, hook: Receiver) -> None:
    first = await watching(db, settings, hook.url, outboxAgeSeconds=60)
    second = Alerts(db, local_settings(settings), errors=ErrorRate())
    try:
        await stale_event(db, timedelta(minutes=10))
        fired = await asyncio.gather(first.step(), second.step())
    finally:
        await first.close()
        await second.close()
    assert sorted(len(found) for found in fired) == [0, 1]
    assert len(hook.received) == 1
    assert len(await alert_rows(db)) == 1


async def test_error_rate_runway_and_failed_deliveries(
    db: Database, settings: Settings, hook: Receiver, gql: GraphQL, world: World
) -> None:
    alerts = await watching(db, settings, hook.url, errorRatePercent=10, runwayDays=90)
    try:
        # Too few requests to judge, and no burn: neither figure can be read.
        alerts.errors.observe(500)
        assert await alerts.step() == []
        # A burn without a cash balance (the default 0, unset) is no runway either.
        await add(db, CostEntry(incurred_on=clock.now().date(), category="hosting", amount=90_000))
        assert (await alerts.figures())["RUNWAY"] is None
        assert await alerts.step() == []
        for _ in range(17):
            alerts.errors.observe(200)
        for _ in range(2):
            alerts.errors.observe(503)
        # 3 failures of 20 requests: 15 %.
        await put(gql, world.master, "cashBalance", {"amount": 30_000, "currency": "USD"})
        found = {alert.kind: alert for alert in await alerts.step()}
        assert set(found) == {"ERROR_RATE", "RUNWAY"}
        assert found["ERROR_RATE"].value == 15.0
        # Burn 30,000 a month, 30,000 at hand: one month, 30.4 days, under 90.
        assert found["RUNWAY"].value == 30.4
        assert "below the threshold of 90 days" in found["RUNWAY"].message
        kinds = sorted(body["text"].split(":")[0] for body in bodies(hook))
        assert kinds == ["[FIRING] ERROR_RATE", "[FIRING] RUNWAY"]
        figures = await alerts.figures()
        assert figures["FAILED_DELIVERIES"] == 0.0
        assert figures["AGGREGATOR_LAG"] == 0.0
    finally:
        await alerts.close()


def test_error_rate_window_forgets_old_seconds() -> None:
    now = [1000.0]
    rate = ErrorRate(window_seconds=60, now=lambda: now[0])
    for _ in range(10):
        rate.observe(500)
    assert rate.counts() == (10, 10)
    now[0] += 30
    for _ in range(10):
        rate.observe(200)
    assert rate.percent(min_requests=20) == 50.0
    now[0] += 31  # the failures are now older than the window
    assert rate.counts() == (10, 0)
    assert rate.percent(min_requests=20) is None
    assert rate.percent(min_requests=1) == 0.0


async def test_failed_deliveries_of_the_last_hour(
    db: Database, settings: Settings, hook: Receiver, world: World
) -> None:
    issued = await endpoint(db, world.own, "https://93.184.215.14/hooks")
    now = clock.now()

    def delivery(status: DeliveryStatus, updated: timedelta) -> WebhookDelivery:
        return WebhookDelivery(
            customer_id=world.own.id,
            endpoint_id=issued.endpoint.id,
            event_id=uuid7(),
            event_type="customer.updated",
            status=status,
            updated_at=now - updated,
        )

    await add(
        db,
        *(delivery(DeliveryStatus.FAILED, timedelta(minutes=5)) for _ in range(3)),
        delivery(DeliveryStatus.FAILED, timedelta(hours=2)),  # out of the window
        delivery(DeliveryStatus.SUCCEEDED, timedelta(minutes=1)),
    )
    alerts = await watching(db, settings, hook.url, failedDeliveries=2)
    try:
        [fired] = await alerts.step()
    finally:
        await alerts.close()
    assert (fired.kind, fired.value, fired.threshold) == ("FAILED_DELIVERIES", 3.0, 2.0)
    assert bodies(hook)[0]["text"].startswith("[FIRING] FAILED_DELIVERIES")


def test_the_alert_loop_is_declared(db: Database, settings: Settings) -> None:
    declared = {loop.name: loop for loop in declared_loops(db, settings)}
    assert declared["ops-alerts"].interval_seconds == 30.0
