"""The webhook dispatcher: outbox events become deliveries, due deliveries are sent and recorded.

`Dispatcher.step` runs three phases, each its own unit of work (see `app/outbox/claim.py` for
why several processes can run it at once without losing or doubling a delivery):

1. fan-out: pending outbox events (not mails) are claimed, and each becomes one delivery per
   enabled endpoint of its customer subscribed to its type, in the same transaction;
2. claim: due deliveries of enabled endpoints are leased to this process;
3. send and record: each leased delivery is signed and posted by the safe sender, and its
   attempt recorded: success, the next retry (`app/outbox/schedule.py`), or failure for good.
   The loop pumps (`Dispatcher.pump`): a send slower than its patience (an endpoint that
   hangs) is recorded by a later pump, so one bad endpoint never holds up the others.
   A 410 disables the endpoint at once, five days of failures too; either publishes
   `webhook_endpoint.disabled`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.kit import clock
from app.kit.actor import Actor
from app.kit.crypto import decrypt
from app.kit.errors import ServiceUnavailable
from app.kit.ids import InvalidIdError, decode, encode, uuid7
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.outbox import OutboxEvent
from app.models.tables import WEBHOOK_DELIVERIES, WEBHOOK_ENDPOINTS
from app.models.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.outbox import schedule
from app.outbox.catalog import MAIL_PREFIX, TEST_EVENT, envelope
from app.outbox.claim import HELD, claim_due, claim_events
from app.settings import Settings
from app.webhooks import signing
from app.webhooks.sender import Policy, SafeSender, Sent

log = logging.getLogger(__name__)

ACTOR = Actor.system("webhook-dispatcher")
BATCH = 100
RECORD_TRIES = 5
# How long a pump of the loop waits for its sends before leaving the slow ones in flight: the
# quick ones (nearly all) are recorded in the pump's one transaction.
PATIENCE = 0.5


def _json_contains(column: Any, value: str, dialect: str) -> sa.ColumnElement[bool]:
    """`value` is one of the JSON list in `column`."""
    if dialect == "postgresql":
        contains: sa.ColumnElement[bool] = column.op("@>")(
            sa.cast(sa.literal(orjson.dumps([value]).decode()), column.type)
        )
        return contains
    each = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(1).select_from(each).where(each.c.value == value))


class Dispatcher:
    def __init__(self, db: Database, settings: Settings, sender: SafeSender | None = None) -> None:
        self.db = db
        self.secret_key = settings.resolved_secret_key()
        self.concurrency = max(1, settings.webhooks_concurrency)
        self.sender = sender or SafeSender(
            Policy(settings.webhooks_allow_http, settings.webhooks_allow_private),
            connect_timeout=settings.webhooks_connect_timeout,
            read_timeout=settings.webhooks_read_timeout,
        )
        # The lease outlasts the send's own bounds, so no other process sends meanwhile.
        self.lease = timedelta(
            seconds=settings.webhooks_connect_timeout + settings.webhooks_read_timeout + 30
        )
        # Sends of this process, across pumps: at most `concurrency` at once.
        self._gate = asyncio.Semaphore(self.concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._finished: list[tuple[uuid.UUID, WebhookDelivery, Sent]] = []
        # Per claim, its deliveries not yet recorded: the claim's leases count as held by this
        # process (released at shutdown, `app/outbox/claim.py::HELD`) until the last is.
        self._unrecorded: dict[uuid.UUID, int] = {}

    async def _run(self, work: Any) -> Any:
        return await self.db.run(work, actor=ACTOR, row_scope=EVERYTHING)

    # ------------------------------------------------------------ fan-out

    async def fan_out(self) -> int:
        """Claim pending events and write their deliveries; how many events were claimed."""

        async def work(uow: UnitOfWork) -> int:
            events = await claim_events(
                uow.session,
                uow.dialect,
                ~OutboxEvent.__table__.c.event_type.startswith(MAIL_PREFIX),  # type: ignore[attr-defined]
                BATCH,
                clock.now(),
            )
            rows: list[dict[str, Any]] = []
            for event in events:
                for endpoint_id, customer_id in await self._subscribers(uow, event):
                    rows.append(self._delivery(event, endpoint_id, customer_id))
            if rows:
                await uow.session.execute(sa.insert(WEBHOOK_DELIVERIES), rows)
            return len(events)

        count: int = await self._run(work)
        return count

    async def _subscribers(self, uow: UnitOfWork, event: Any) -> Sequence[Any]:
        endpoints = WEBHOOK_ENDPOINTS.c
        statement = sa.select(endpoints.id, endpoints.customer_id).where(endpoints.enabled)
        data: dict[str, Any] = event.data
        if event.event_type == TEST_EVENT.type:
            try:
                endpoint_id = decode(str(data.get("endpointId", "")), WebhookEndpoint.PREFIX)
            except InvalidIdError:
                return []
            statement = statement.where(endpoints.id == endpoint_id)
        else:
            statement = statement.where(
                _json_contains(endpoints.event_types, event.event_type, uow.dialect)
            )
        if event.customer_id is None:
            return []  # events about no customer (users publish one per customer) go nowhere
        statement = statement.where(endpoints.customer_id == event.customer_id)
        return (await uow.session.execute(statement)).all()

    @staticmethod
    def _delivery(event: Any, endpoint_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
        now = clock.now()
        created: datetime = event.created_at
        return {
            "id": uuid7(),
            "customer_id": customer_id,
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "event_type": event.event_type,
            "payload": envelope(
                event.event_type, created.isoformat().replace("+00:00", "Z"), event.data
            ),
            "status": DeliveryStatus.PENDING,
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }

    # ------------------------------------------------------------ claim

    async def claim(
        self, limit: int = BATCH
    ) -> tuple[uuid.UUID, list[tuple[WebhookDelivery, WebhookEndpoint]]]:
        async def work(
            uow: UnitOfWork,
        ) -> tuple[uuid.UUID, list[tuple[WebhookDelivery, WebhookEndpoint]]]:
            enabled = sa.select(WEBHOOK_ENDPOINTS.c.id).where(WEBHOOK_ENDPOINTS.c.enabled)
            token, ids = await claim_due(
                uow.session,
                uow.dialect,
                WEBHOOK_DELIVERIES,
                [WEBHOOK_DELIVERIES.c.endpoint_id.in_(enabled)],
                limit,
                clock.now(),
                self.lease,
            )
            if not ids:
                return token, []
            rows = (
                await uow.session.execute(
                    sa.select(WebhookDelivery, WebhookEndpoint)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)  # type: ignore[arg-type]
                    .where(WEBHOOK_DELIVERIES.c.id.in_(ids))
                    .order_by(WEBHOOK_DELIVERIES.c.next_attempt_at)
                )
            ).all()
            return token, [(row[0], row[1]) for row in rows]

        claimed: tuple[uuid.UUID, list[tuple[WebhookDelivery, WebhookEndpoint]]] = await self._run(
            work
        )
        return claimed

    # ------------------------------------------------------------ send and record

    def _secrets(self, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
        secrets = [decrypt(self.secret_key, endpoint.secret_encrypted)]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret_encrypted and expires is not None and expires > now:
            secrets.append(decrypt(self.secret_key, endpoint.previous_secret_encrypted))
        return secrets

    async def send(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> Sent:
        now = clock.now()
        body = orjson.dumps(delivery.payload)
        message_id = encode(OutboxEvent.PREFIX, delivery.event_id)
        headers = signing.headers(
            self._secrets(endpoint, now), message_id, int(now.timestamp()), body
        )
        return await self.sender.post(endpoint.url, body, headers)

    async def record(self, outcomes: list[tuple[uuid.UUID, WebhookDelivery, Sent]]) -> None:
        """Record attempts (each under its claim's lease token) in one transaction (SQLite has a
        single writer: one short transaction per batch rather than one per delivery keeps
        processes from queueing behind each other)."""

        async def work(uow: UnitOfWork) -> None:
            for token, delivery, sent in outcomes:
                await _record_attempt(uow, token, delivery, sent)

        # The posts went out: give up recording only after a few tries, since an unrecorded
        # attempt is sent again once its lease runs out.
        for attempt in range(RECORD_TRIES):
            try:
                await self._run(work)
                return
            except (OperationalError, ServiceUnavailable):
                if attempt == RECORD_TRIES - 1:
                    raise
                log.warning("recording webhook attempts failed; trying again")
                await asyncio.sleep(0.5 * (attempt + 1))

    async def step(self) -> int:
        """One round that waits for every send it started: fan out, claim, send and record;
        how many deliveries were sent."""
        return await self.pump(patience=None)

    async def pump(self, patience: float | None = PATIENCE) -> int:
        """Fan out, claim what is due (as much as the sends in flight leave room for), start
        sending it, and record every send finished within `patience` seconds; how many
        deliveries were claimed.

        A send still running then (an endpoint that hangs up to the read timeout) goes on in
        the background and is recorded by a later pump: it holds its own delivery, never the
        dispatcher, so the next pump sends what fell due meanwhile to the healthy endpoints.
        """
        while await self.fan_out() == BATCH:
            pass
        claimed: list[tuple[WebhookDelivery, WebhookEndpoint]] = []
        started: set[asyncio.Task[None]] = set()
        room = BATCH - len(self._in_flight)
        if room > 0:
            token, claimed = await self.claim(room)
            if claimed:
                self._unrecorded[token] = len(claimed)
            for delivery, endpoint in claimed:
                task = asyncio.create_task(self._send(token, delivery, endpoint))
                started.add(task)
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        # Patient only with this pump's sends: one left in flight by an earlier pump is slow.
        waiting = set(self._in_flight) if patience is None else started
        if waiting:
            await asyncio.wait(waiting, timeout=patience)
        finished, self._finished = self._finished, []
        if finished:
            await self.record(finished)
            self._settled(token for token, _, _ in finished)
        return len(claimed)

    async def _send(
        self, token: uuid.UUID, delivery: WebhookDelivery, endpoint: WebhookEndpoint
    ) -> None:
        try:
            async with self._gate:
                sent = await self.send(delivery, endpoint)
        except Exception:
            # Left unrecorded, under its lease: it is sent again once the lease runs out.
            log.exception("sending a webhook delivery failed unexpectedly")
            self._settled([token])
            return
        self._finished.append((token, delivery, sent))

    def _settled(self, tokens: Iterable[uuid.UUID]) -> None:
        for token in tokens:
            left = self._unrecorded.get(token, 0) - 1
            if left > 0:
                self._unrecorded[token] = left
            else:
                self._unrecorded.pop(token, None)
                HELD.done(token)

    async def close(self) -> None:
        """Let the sends in flight end (each is bounded by the sender's timeouts), record
        them, and close the sender."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        finished, self._finished = self._finished, []
        if finished:
            await self.record(finished)
            self._settled(token for token, _, _ in finished)
        await self.sender.close()


async def _record_attempt(
    uow: UnitOfWork, token: uuid.UUID, delivery: WebhookDelivery, sent: Sent
) -> None:
    session = uow.session
    now = clock.now()
    attempts = delivery.attempt_count + 1
    retry_at = None if sent.ok or sent.status_code == 410 else schedule.next_attempt(attempts, now)
    session.add(
        WebhookAttempt(
            customer_id=delivery.customer_id,
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
            error=sent.error[:500] if sent.error else None,
            response_excerpt=sent.excerpt,
            next_retry_at=retry_at,
        )
    )
    if sent.ok:
        status = DeliveryStatus.SUCCEEDED
    else:
        status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
    deliveries = WEBHOOK_DELIVERIES.c
    # Only under our lease: if it ran out and another dispatcher took the delivery, the
    # attempt above stays recorded and that dispatcher owns the outcome.
    await session.execute(
        sa.update(WEBHOOK_DELIVERIES)
        .where(deliveries.id == delivery.id, deliveries.lease_token == token)
        .values(
            status=status,
            attempt_count=attempts,
            next_attempt_at=retry_at,
            last_status_code=sent.status_code,
            lease_token=None,
            lease_until=None,
            updated_at=now,
        )
    )
    await _endpoint_health(uow, session, delivery.endpoint_id, sent, now)


async def _endpoint_health(
    uow: UnitOfWork, session: AsyncSession, endpoint_id: uuid.UUID, sent: Sent, now: datetime
) -> None:
    endpoint = await session.get(
        WebhookEndpoint, endpoint_id, with_for_update=uow.dialect == "postgresql"
    )
    if endpoint is None or not endpoint.enabled:
        return
    if sent.ok:
        endpoint.failing_since = None
        return
    if sent.status_code == 410:
        reason = "The endpoint answered 410 Gone."
    else:
        endpoint.failing_since = endpoint.failing_since or now
        if now - endpoint.failing_since < schedule.DISABLE_AFTER:
            return
        reason = "Failing for 5 days."
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    public_id = encode(WebhookEndpoint.PREFIX, endpoint.id)
    uow.record(
        "webhook_endpoint.disable",
        "WebhookEndpoint",
        public_id,
        before={"enabled": True},
        after={"enabled": False, "disabledReason": reason},
        customer_id=endpoint.customer_id,
    )
    uow.publish(
        "webhook_endpoint.disabled",
        {"endpointId": public_id, "url": endpoint.url, "reason": reason},
        customer_id=endpoint.customer_id,
    )
    log.warning("webhook endpoint %s disabled: %s", public_id, reason)
