"""The dispatcher against a real local receiver: signatures, retries, 410, SSRF at send time."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from standardwebhooks import Webhook

from app.db import Database
from app.kit import clock
from app.kit.ids import encode
from app.models.tables import WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from app.models.webhooks import WebhookEndpoint
from app.outbox.schedule import DELAYS, MAX_ATTEMPTS, next_attempt
from app.settings import Settings
from tests.customers import support as customers
from tests.helpers import GraphQL, Mutation, StatementCounter, World, gid
from tests.support import rows
from tests.webhooks import support

DELIVERIES = """query($filter: WebhookDeliveryFilter, $first: Int) {
  webhookDeliveries(first: $first, filter: $filter) {
    totalCount
    nodes { id eventType status attemptCount nextAttemptAt payload
            endpoint { id url customer { slug } }
            attempts { attemptedAt statusCode durationMs error responseExcerpt nextRetryAt } }
  }
}"""
RETRY = Mutation("webhookDeliveryRetry", "delivery { id status attemptCount }")
REPLAY = Mutation("webhookEndpointReplay", "endpoint { id } requeued")
ROTATE = Mutation("webhookEndpointRotateSecret", "secret")


async def test_a_delivery_is_signed_per_standard_webhooks(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(200) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url, settings=settings)
        await support.publish(db, "customer.updated", world.own, changed=["name"])
        assert await dispatcher.step() == 1
        [got] = receiver.received
        body = Webhook(issued.secret).verify(got.body, got.headers)
        assert body["type"] == "customer.updated"
        assert body["data"] == {"changed": ["name"]}
        assert set(body) >= {"type", "timestamp", "data"}
        [event] = await support.outbox(db)
        assert got.headers["webhook-id"] == encode("evt", event.id)
        assert event.dispatched_at is not None
        [delivery] = await support.deliveries(db)
        assert delivery.status == "SUCCEEDED"
        [attempt] = await support.attempts(db)
        assert attempt.status_code == 200
        assert attempt.response_excerpt == '{"ok": true}'
        # Nothing left to do: a second step sends nothing again.
        assert await dispatcher.step() == 0
        assert len(receiver.received) == 1


async def test_only_subscribed_enabled_endpoints_of_the_customer_get_it(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(200) as receiver, support.dispatcher(db, settings) as dispatcher:
        await support.endpoint(db, world.own, receiver.url + "/a", ["customer.updated"])
        await support.endpoint(db, world.own, receiver.url + "/b", ["member.added"])
        await support.endpoint(db, world.other, receiver.url + "/c", ["customer.updated"])
        disabled = await support.endpoint(db, world.own, receiver.url + "/d", ["customer.updated"])
        async with db.write_session() as session:
            await session.execute(
                sa.update(WEBHOOK_ENDPOINTS)
                .where(WEBHOOK_ENDPOINTS.c.id == disabled.endpoint.id)
                .values(enabled=False)
            )
            await session.commit()
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        assert [got.path for got in receiver.received] == ["/hooks/a"]


async def test_a_rotated_endpoint_is_signed_with_both_secrets_for_a_day(
    gql: GraphQL, db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(200) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url, settings=settings)
        rotated = await ROTATE.ok(
            gql, {"endpointId": gid("whe", issued.endpoint)}, token=world.owner_token
        )
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        [got] = receiver.received
        assert got.headers["webhook-signature"].count("v1,") == 2
        Webhook(issued.secret).verify(got.body, got.headers)
        Webhook(rotated["secret"]).verify(got.body, got.headers)
        with clock.travel(timedelta(hours=25)):
            await support.publish(db, "customer.updated", world.own)
            await dispatcher.step()
        assert receiver.received[1].headers["webhook-signature"].count("v1,") == 1


def test_the_retry_schedule() -> None:
    now = clock.now()
    expected = [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert [delay.total_seconds() for delay in DELAYS] == expected
    for attempts, seconds in enumerate(expected):
        due = next_attempt(attempts, now)
        assert due is not None
        assert seconds * 0.9 <= (due - now).total_seconds() <= seconds * 1.1
    assert next_attempt(MAX_ATTEMPTS, now) is None


async def test_failures_are_retried_with_back_off_then_given_up(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(500) as receiver, support.dispatcher(db, settings) as dispatcher:
        await support.endpoint(db, world.own, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        [delivery] = await support.deliveries(db)
        assert delivery.status == "PENDING"
        assert delivery.attempt_count == 1
        waited = (delivery.next_attempt_at - clock.now()).total_seconds()
        assert 3 <= waited <= 6
        # Not due yet: nothing is sent.
        assert await dispatcher.step() == 0
        travelled = timedelta(0)
        for attempt in range(2, MAX_ATTEMPTS + 1):
            travelled += DELAYS[attempt - 1] * 1.2
            with clock.travel(travelled):
                assert await dispatcher.step() == 1, attempt
        [delivery] = await support.deliveries(db)
        assert delivery.status == "FAILED"
        assert delivery.attempt_count == MAX_ATTEMPTS
        assert delivery.next_attempt_at is None
        assert len(receiver.received) == MAX_ATTEMPTS
        attempts = await support.attempts(db)
        assert [a.status_code for a in attempts] == [500] * MAX_ATTEMPTS
        assert attempts[-1].next_retry_at is None
        assert attempts[0].next_retry_at is not None


async def test_a_410_disables_the_endpoint_and_says_so(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(410) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url)
        watcher = await support.endpoint(
            db, world.own, receiver.url + "/watch", ["webhook_endpoint.disabled"]
        )
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        [row] = await rows(
            db, sa.select(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.id == issued.endpoint.id)
        )
        assert row.enabled is False
        assert "410" in row.disabled_reason
        [delivery] = [
            d for d in await support.deliveries(db) if d.endpoint_id == issued.endpoint.id
        ]
        assert delivery.status == "FAILED"
        [event] = await support.outbox(db, "webhook_endpoint.disabled")
        assert event.data["endpointId"] == encode(WebhookEndpoint.PREFIX, issued.endpoint.id)
        [audit] = await customers.events(db, "webhook_endpoint.disable")
        assert audit.customer_id == world.own.id
        # The event reaches the customer's other endpoint (which answers 410 too).
        await dispatcher.step()
        assert receiver.received[-1].path == "/hooks/watch"
        assert watcher.endpoint.id != issued.endpoint.id


async def test_five_days_of_failures_disable_the_endpoint(
    db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(503) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        with clock.travel(timedelta(days=5, minutes=1)):
            await support.publish(db, "customer.updated", world.own)
            await dispatcher.step()
        [row] = await rows(
            db, sa.select(WEBHOOK_ENDPOINTS).where(WEBHOOK_ENDPOINTS.c.id == issued.endpoint.id)
        )
        assert row.enabled is False
        assert row.disabled_reason == "Failing for 5 days."
        assert len(await support.outbox(db, "webhook_endpoint.disabled")) == 1
        assert receiver.received


async def test_a_name_resolving_to_loopback_is_refused_at_send_time(
    db: Database, settings: Settings, world: World
) -> None:
    async with (
        support.receiver(200) as receiver,
        support.dispatcher(db, settings, webhooks_allow_private=False) as dispatcher,
    ):
        # Saved while it was allowed (or while the name pointed elsewhere).
        await support.endpoint(db, world.own, f"http://localhost:{receiver.port}/hooks")
        await support.endpoint(db, world.own, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        assert receiver.received == []
        errors = sorted(attempt.error for attempt in await support.attempts(db))
        assert errors == [
            "Refused: The URL points to a loopback address.",
            "Refused: The URL points to a loopback address.",
        ]


async def test_a_redirect_is_not_followed(db: Database, settings: Settings, world: World) -> None:
    async with support.receiver(302) as receiver, support.dispatcher(db, settings) as dispatcher:
        await support.endpoint(db, world.own, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        assert len(receiver.received) == 1
        [delivery] = await support.deliveries(db)
        assert delivery.status == "PENDING"
        assert delivery.last_status_code == 302


async def test_lifecycle_events_reach_the_users_customers(
    gql: GraphQL, db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(200) as receiver, support.dispatcher(db, settings) as dispatcher:
        await support.endpoint(db, world.own, receiver.url, ["user.suspended", "member.removed"])
        await support.endpoint(db, world.other, receiver.url + "/other", ["user.suspended"])
        suspend = Mutation("userSuspend", "user { id }")
        await suspend.ok(
            gql, {"userId": gid("usr", world.member), "reason": "Abuse"}, token=world.master
        )
        remove = Mutation("memberRemove", "customer { slug }")
        await remove.ok(
            gql,
            {"customerId": gid("cus", world.own), "userId": gid("usr", world.admin)},
            token=world.owner_token,
        )
        await dispatcher.step()
        bodies = [json.loads(got.body) for got in receiver.received]
        assert sorted(body["type"] for body in bodies) == ["member.removed", "user.suspended"]
        assert all(got.path == "/hooks" for got in receiver.received)
        suspended = next(body for body in bodies if body["type"] == "user.suspended")
        assert suspended["data"]["userId"] == gid("usr", world.member)


async def test_deliveries_list_retry_and_replay(
    gql: GraphQL, db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(500) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url)
        other = await support.endpoint(db, world.other, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await support.publish(db, "customer.updated", world.other)
        await dispatcher.step()
        data = await gql.ok(DELIVERIES, {}, token=world.owner_token)
        [node] = data["webhookDeliveries"]["nodes"]
        assert node["endpoint"]["customer"] == {"slug": "own-co"}
        [attempt] = node["attempts"]
        assert attempt["statusCode"] == 500
        assert attempt["nextRetryAt"] is not None
        assert attempt["error"] == "Answered HTTP 500."
        everything = await gql.ok(DELIVERIES, {}, token=world.master)
        assert everything["webhookDeliveries"]["totalCount"] == 2
        filtered = await gql.ok(
            DELIVERIES,
            {"filter": {"endpointId": gid("whe", other.endpoint), "status": "PENDING"}},
            token=world.master,
        )
        assert filtered["webhookDeliveries"]["totalCount"] == 1

        delivery_id = node["id"]
        theirs = everything["webhookDeliveries"]["nodes"]
        other_id = next(n["id"] for n in theirs if n["id"] != delivery_id)
        assert await RETRY.refused(gql, {"deliveryId": other_id}, token=world.owner_token) == [
            ("NOT_FOUND", ["input", "deliveryId"])
        ]
        receiver.statuses = [200]
        retried = await RETRY.ok(gql, {"deliveryId": delivery_id}, token=world.owner_token)
        assert retried["delivery"]["status"] == "PENDING"
        await dispatcher.step()
        [row] = await rows(
            db,
            sa.select(WEBHOOK_DELIVERIES).where(
                WEBHOOK_DELIVERIES.c.endpoint_id == issued.endpoint.id
            ),
        )
        assert row.status == "SUCCEEDED"

        # A failed delivery in the window is requeued by a replay.
        async with db.write_session() as session:
            await session.execute(sa.update(WEBHOOK_DELIVERIES).values(status="FAILED"))
            await session.commit()
        since = (clock.now() - timedelta(hours=1)).isoformat()
        dry = await REPLAY.ok(
            gql,
            {"endpointId": gid("whe", issued.endpoint), "since": since},
            token=world.owner_token,
            dry_run=True,
        )
        assert dry["requeued"] == 1
        replayed = await REPLAY.ok(
            gql,
            {"endpointId": gid("whe", issued.endpoint), "since": since},
            token=world.owner_token,
            key="r1",
        )
        assert replayed["requeued"] == 1
        again = await REPLAY.ok(
            gql,
            {"endpointId": gid("whe", issued.endpoint), "since": since},
            token=world.owner_token,
            key="r1",
        )
        assert again["requeued"] == 1
        assert len(await customers.events(db, "webhook_endpoint.replay")) == 1
        future = (clock.now() + timedelta(hours=1)).isoformat()
        assert await REPLAY.refused(
            gql, {"endpointId": gid("whe", issued.endpoint), "since": future}, token=world.master
        ) == [("INVALID", ["input", "since"])]
        sent = len(receiver.received)
        await dispatcher.step()
        assert len(receiver.received) == sent + 1


async def test_deliveries_page_runs_constant_statements(
    gql: GraphQL, db: Database, settings: Settings, world: World, statements: StatementCounter
) -> None:
    async with support.receiver(500) as receiver, support.dispatcher(db, settings) as dispatcher:
        await support.endpoint(db, world.own, receiver.url)
        counts = []
        for total in (2, 10):
            while len(await support.deliveries(db)) < total:
                await support.publish(db, "customer.updated", world.own)
                await dispatcher.step()
            with statements.measure():
                data = await gql.ok(DELIVERIES, {"first": 50}, token=world.owner_token)
            assert len(data["webhookDeliveries"]["nodes"]) == total
            counts.append(statements.count)
        assert counts[0] == counts[1]


async def test_retry_refusals_and_dry_run(
    gql: GraphQL, db: Database, settings: Settings, world: World
) -> None:
    async with support.receiver(500) as receiver, support.dispatcher(db, settings) as dispatcher:
        issued = await support.endpoint(db, world.own, receiver.url)
        await support.publish(db, "customer.updated", world.own)
        await dispatcher.step()
        [delivery] = await support.deliveries(db)
        delivery_id = encode("whd", delivery.id)
        dry = await RETRY.ok(gql, {"deliveryId": delivery_id}, token=world.master, dry_run=True)
        assert dry["delivery"]["attemptCount"] == 0
        [unchanged] = await support.deliveries(db)
        assert unchanged.attempt_count == 1
        # Being sent right now (leased): refused.
        async with db.write_session() as session:
            await session.execute(
                sa.update(WEBHOOK_DELIVERIES).values(lease_until=clock.now() + timedelta(minutes=1))
            )
            await session.commit()
        assert await RETRY.refused(gql, {"deliveryId": delivery_id}, token=world.master) == [
            ("INVALID_STATE", ["input", "deliveryId"])
        ]
        async with db.write_session() as session:
            await session.execute(sa.update(WEBHOOK_DELIVERIES).values(lease_until=None))
            await session.execute(
                sa.update(WEBHOOK_ENDPOINTS)
                .where(WEBHOOK_ENDPOINTS.c.id == issued.endpoint.id)
                .values(enabled=False)
            )
            await session.commit()
        assert await RETRY.refused(gql, {"deliveryId": delivery_id}, token=world.master) == [
            ("ENDPOINT_DISABLED", ["input", "deliveryId"])
        ]
        assert await RETRY.refused(gql, {"deliveryId": delivery_id}, token=world.member_token) == [
            ("NOT_FOUND", ["input", "deliveryId"])
        ]
