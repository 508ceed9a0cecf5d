"""The server stopped during a burst of mutations: by SIGKILL (restarted, every acknowledged
mutation is there whole, with its audit event and outbox event, none half-applied, the audit
chain intact) and by SIGTERM (requests in flight get their answers, nothing acknowledged is lost,
the process exits cleanly)."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.audit.service import ChainVerification, verify_chain
from tests.faults.checks import Mutations, assert_chain_ok, assert_stored
from tests.faults.support import Fleet, Server, client, connect, seed, sqlalchemy_url, until
from tests.helpers import Factory

pytestmark = pytest.mark.postgres_only


async def _verify_chain(factory: Factory) -> ChainVerification:
    async with factory.db.write_session() as session:
        return await verify_chain(session)


WORKERS = 8
BEFORE_THE_SIGNAL = 30  # acknowledged mutations before the server is stopped
IN_FLIGHT = 8  # mutations held inside the server (on a lock) when SIGTERM arrives


@dataclass
class Node:
    """One server the module's tests share (each leaves it stopped or running; the next
    starts it when it needs it), on a database they share."""

    database: str
    master: str
    server: Server
    folder: Path

    def running(self) -> Server:
        if not self.server.running:
            self.server.start()
        return self.server


@pytest.fixture(scope="module")
def node(module_database: str, module_fleet: Fleet) -> Node:
    master = asyncio.run(
        seed(sqlalchemy_url(module_database), module_fleet.folder, lambda f: f.master_key())
    )
    # The loops run too: a stop must end them cleanly, a restart pick up their work. Every
    # request authenticates against the database (no cached principal), so a lock on the
    # master keys holds requests inside the server.
    (server,) = module_fleet.start({"background_loops": "true", "auth_cache_seconds": "0"})
    return Node(module_database, master, server, module_fleet.folder)


async def _burst(
    server: Server, master: str, sent: Mutations, stop: asyncio.Event, tag: str
) -> None:
    async with client(server, master, timeout=30) as http:

        async def worker(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                key = f"{tag}-{n}-{i}"
                answer = await (
                    sent.create_user(http, key) if i % 4 == 0 else sent.create_customer(http, key)
                )
                if answer.status is None:
                    return  # the server is gone

        await asyncio.gather(*(worker(n) for n in range(WORKERS)))


async def test_sigkill_during_a_burst_loses_nothing_acknowledged(node: Node) -> None:
    server, master, fresh_database = node.running(), node.master, node.database
    sent = Mutations()
    stop = asyncio.Event()
    burst = asyncio.create_task(_burst(server, master, sent, stop, "kill"))

    async def enough() -> bool:
        return sent.acknowledged() >= BEFORE_THE_SIGNAL

    await until(enough, 60, "acknowledged mutations")
    server.signal(signal.SIGKILL)
    assert server.wait() == -signal.SIGKILL
    await burst
    unanswered = [a for a in sent.answers if a.status is None]
    assert unanswered, "the kill landed after the burst"
    acknowledged = sent.acknowledged()
    # Restarted on the same database: the acknowledged are there, whole and once; the ones the
    # kill cut off go through when retried with their keys, and are not doubled.
    server.start()
    await assert_stored(fresh_database, sent)
    async with client(server, master) as http:
        await sent.retry_unacknowledged(http)
        await assert_stored(fresh_database, sent)
        checked = await assert_chain_ok(http)
    assert checked >= acknowledged
    print(f"acknowledged={acknowledged} cut off={len(unanswered)} chain={checked}")


async def test_sigterm_answers_requests_in_flight_and_exits_cleanly(node: Node) -> None:
    server, master, fresh_database = node.running(), node.master, node.database
    sent, held = Mutations(), Mutations()
    stop = asyncio.Event()
    burst = asyncio.create_task(_burst(server, master, sent, stop, "term"))

    async def enough() -> bool:
        return sent.acknowledged() >= BEFORE_THE_SIGNAL

    await until(enough, 60, "acknowledged mutations")
    stop.set()
    await burst
    # Hold mutations inside the server: they wait on a lock of the test's, so they are
    # certainly in flight when the signal arrives.
    # (A request authenticates first, reading the master keys.) The lock-holding connection
    # cannot watch: its transaction sees one snapshot of pg_stat_activity.
    locker, watcher = await connect(fresh_database), await connect(fresh_database)
    transaction = locker.transaction()
    await transaction.start()
    await locker.execute("LOCK TABLE master_keys IN ACCESS EXCLUSIVE MODE")
    async with client(server, master, timeout=60) as http:
        pending = [
            asyncio.create_task(held.create_customer(http, f"held-{n}")) for n in range(IN_FLIGHT)
        ]

        async def all_waiting() -> bool:
            waiting: int = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return waiting >= IN_FLIGHT

        await until(all_waiting, 30, "the held mutations to wait on the lock")
        server.signal(signal.SIGTERM)

        # Draining: the listener closes, the process waits for its requests.
        async def refusing() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                return True
            writer.close()
            await writer.wait_closed()
            return False

        await until(refusing, 30, "the server to stop accepting connections")
        assert server.running, "the process ended with requests in flight"
        await transaction.rollback()
        started = time.perf_counter()
        answers = await asyncio.gather(*pending)
        drained = time.perf_counter() - started
    await locker.close()
    await watcher.close()
    code = server.wait(timeout=60)
    exited = time.perf_counter() - started
    # uvicorn, once drained, ends by the signal it was sent (the status a supervisor expects).
    assert code in (0, -signal.SIGTERM), server.log()
    for answer in answers:
        assert answer.status == 200, (answer.status, answer.body, answer.failure)
    assert held.acknowledged() == IN_FLIGHT
    assert "Traceback" not in server.log(), server.log()
    assert '"level":"ERROR"' not in server.log(), server.log()
    combined = Mutations(
        customers={**sent.customers, **held.customers}, users=dict(sent.users), answers=[]
    )
    await assert_stored(fresh_database, combined)
    # (The server is gone: the chain is verified here, as `auditChainVerify` does.)
    chain = await seed(sqlalchemy_url(fresh_database), node.folder, _verify_chain)
    assert chain.ok, chain
    assert chain.checked >= combined.acknowledged()
    print(
        f"acknowledged={combined.acknowledged()} drained in {drained:.2f} s; exited {exited:.2f} s"
    )
