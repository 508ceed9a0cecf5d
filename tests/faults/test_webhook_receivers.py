"""Webhook receivers that hang, answer 500, or reset the connection, beside a healthy one, all
real local sockets: the bad deliveries fail with their reason recorded and are retried on the
back-off schedule (`app/outbox/schedule.py`), while the healthy endpoint's deliveries keep
arriving promptly, once each; no event is lost on any endpoint."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.kit.ids import encode
from app.outbox.schedule import DELAYS, JITTER
from tests.faults.support import Server, client, connect, post, seed, sqlalchemy_url, until
from tests.helpers import Factory

pytestmark = pytest.mark.postgres_only

READ_TIMEOUT = 4.0  # what the hanging receiver costs each of its attempts
PROMPT = 2.5  # seconds from an acknowledged change to its healthy delivery (below READ_TIMEOUT)
EVENTS = 3
SLACK = 3.0  # the dispatcher's interval and a loaded machine, on top of a scheduled retry
SETTINGS = {
    "webhooks_allow_http": "true",
    "webhooks_allow_private": "true",
    "webhooks_connect_timeout": "1",
    "webhooks_read_timeout": str(READ_TIMEOUT),
    "dispatcher_interval_seconds": "0.2",
}

CREATE = """mutation($input: WebhookEndpointCreateInput!) {
  webhookEndpointCreate(input: $input) { endpoint { id } userErrors { code message } }
}"""
UPDATE = """mutation($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) { customer { id name } userErrors { code message } }
}"""


@dataclass
class Receiver:
    """A local HTTP endpoint: `ok` answers 200, `fail` 500, `hang` never answers, `reset`
    reads the request and resets the connection."""

    kind: str
    arrivals: list[tuple[float, str]] = field(default_factory=list)  # (wall time, webhook-id)
    port: int = 0
    held: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.kind}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                headers = dict(
                    (name.strip().lower(), value.strip())
                    for name, value in (
                        line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line
                    )
                )
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.arrivals.append((time.time(), headers.get("webhook-id", "")))
                if self.kind == "hang":
                    self.held.append(writer)
                    return  # the connection stays open, unanswered, until the test ends
                if self.kind == "reset":
                    sock = writer.get_extra_info("socket")
                    # Linger 0: close() sends RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                status = 200 if self.kind == "ok" else 500
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nno".encode()
                    if status != 200
                    else b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        if self.kind != "hang":
            writer.close()


@asynccontextmanager
async def receivers(*kinds: str) -> AsyncIterator[dict[str, Receiver]]:
    found = {kind: Receiver(kind) for kind in kinds}
    async with AsyncExitStack() as stack:
        for each in found.values():
            server = await asyncio.start_server(each.serve, "127.0.0.1", 0)
            each.port = server.sockets[0].getsockname()[1]
            await stack.enter_async_context(server)
        try:
            yield found
        finally:
            for each in found.values():
                for writer in each.held:
                    writer.close()


async def _attempts(db: asyncpg.Connection, endpoint: str) -> list[asyncpg.Record]:
    return list(
        await db.fetch(
            "SELECT d.event_id, d.status, d.attempt_count, a.attempted_at, a.status_code, "
            "a.error, a.next_retry_at FROM webhook_deliveries d "
            "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
            "LEFT JOIN webhook_attempts a ON a.delivery_id = d.id "
            "WHERE e.url = $1 ORDER BY d.created_at, a.attempted_at",
            endpoint,
        )
    )


def _delay(attempts_made: int) -> tuple[float, float]:
    """The scheduled wait after `attempts_made` failed attempts, with its jitter."""
    delay = DELAYS[attempts_made].total_seconds()
    return delay * (1 - JITTER), delay * (1 + JITTER)


async def test_bad_receivers_retry_on_schedule_and_the_healthy_one_is_not_held_up(
    serve: Callable[..., list[Server]], fresh_database: str, tmp_path: Path
) -> None:
    async def prepare(factory: Factory) -> tuple[str, str]:
        return await factory.master_key(), encode("cus", (await factory.customer("hooked")).id)

    master, customer = await seed(sqlalchemy_url(fresh_database), tmp_path, prepare)
    (server,) = serve(SETTINGS)
    db = await connect(fresh_database)
    async with (
        receivers("ok", "fail", "hang", "reset") as found,
        client(server, master) as http,
    ):
        for each in found.values():
            created = await post(
                http,
                CREATE,
                {
                    "input": {
                        "customerId": customer,
                        "url": each.url,
                        "eventTypes": ["customer.updated"],
                    }
                },
            )
            assert created.body is not None
            assert created.body["data"]["webhookEndpointCreate"]["userErrors"] == [], created.body
        ok, hang = found["ok"], found["hang"]
        acknowledged: list[float] = []
        for n in range(EVENTS):
            answer = await post(http, UPDATE, {"input": {"customerId": customer, "name": f"v{n}"}})
            assert answer.body is not None
            assert answer.body["data"]["customerUpdate"]["userErrors"] == []
            acknowledged.append(time.time())

            async def healthy_has(count: int = n + 1) -> bool:
                return len(ok.arrivals) >= count

            await until(healthy_has, PROMPT * 2, f"healthy delivery {n}")
            if n == 0:
                # The later changes are made while the hanging receiver holds an attempt open.
                async def hanging() -> bool:
                    return len(hang.arrivals) >= 1

                await until(hanging, PROMPT * 2, "the hanging receiver's first request")
        # Promptly, in order, each once: the hanging endpoint held up none of them.
        delays = [at - acked for (at, _), acked in zip(ok.arrivals, acknowledged, strict=True)]
        assert all(delay < PROMPT for delay in delays), delays
        assert len({webhook_id for _, webhook_id in ok.arrivals}) == EVENTS

        # Every bad endpoint's first delivery is tried a second time on schedule.
        async def retried() -> bool:
            return all(
                len(found[kind].arrivals) >= EVENTS + 1 for kind in ("fail", "hang", "reset")
            )

        await until(retried, READ_TIMEOUT + DELAYS[1].total_seconds() + SLACK * 3, "the retries")

        async def recorded() -> bool:
            for kind in ("fail", "reset"):
                rows = await _attempts(db, found[kind].url)
                if sum(1 for row in rows if row["attempted_at"] is not None) < EVENTS + 1:
                    return False
            return True

        await until(recorded, SLACK * 3, "the second attempts recorded")
        reasons = {"fail": "Answered HTTP 500.", "hang": "Timed out.", "reset": "Connection failed"}
        for kind, reason in reasons.items():
            rows = await _attempts(db, found[kind].url)
            by_event: dict[Any, list[asyncpg.Record]] = {}
            for row in rows:
                by_event.setdefault(row["event_id"], []).append(row)
            assert len(by_event) == EVENTS, kind  # a delivery per event: nothing lost
            first_event = next(iter(by_event.values()))
            first = first_event[0]
            assert first["attempted_at"] is not None, kind
            assert first["error"].startswith(reason), (kind, first["error"])
            assert first["status_code"] == (500 if kind == "fail" else None)
            # The second attempt went out when the first one's record said it would.
            low, high = _delay(1)
            retry_at: datetime = first["next_retry_at"]
            assert low <= (retry_at - first["attempted_at"]).total_seconds() <= high, kind
            second_sent = found[kind].arrivals[EVENTS][0]
            assert retry_at.timestamp() - 0.5 <= second_sent <= retry_at.timestamp() + SLACK, kind
            if kind != "hang":  # (its second attempt is still waiting out the read timeout)
                second = first_event[1]
                assert second["error"].startswith(reason), (kind, second["error"])
                low, high = _delay(2)
                waited = (second["next_retry_at"] - second["attempted_at"]).total_seconds()
                assert low <= waited <= high, (kind, waited)
                assert second["attempt_count"] == 2
            assert {row["status"] for row in rows} == {"PENDING"}, kind
        healthy = await _attempts(db, ok.url)
        assert [(row["status"], row["attempt_count"]) for row in healthy] == [
            ("SUCCEEDED", 1)
        ] * EVENTS
    await db.close()
    print(f"healthy deliveries after {[round(d, 2) for d in delays]} s")
