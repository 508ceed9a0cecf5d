"""Faults of the database under two `admiral serve` processes side by side, over real HTTP.

- Every backend of the app's database terminated (`pg_terminate_backend`) while concurrent
  reads and mutations run: requests fail fast with SERVICE_UNAVAILABLE (HTTP 503, never a 500
  or a hang), the same processes recover without a restart, nothing acknowledged is lost.
  One process tests pooled connections before use (the pre-ping), the other does not, so its
  recovery rests on the driver reporting the disconnect alone.
- A table locked by another connection (`LOCK TABLE customers IN ACCESS EXCLUSIVE MODE` in an
  open transaction): requests touching it answer SERVICE_UNAVAILABLE within the configured
  timeout instead of piling up (one process is bounded by its statement timeout, the other by
  its lock timeout, each alone so each is the one that fires), the others are served, and once
  the lock is released everything is served normally.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest

from tests.faults.checks import Mutations, assert_chain_ok, assert_stored
from tests.faults.support import (
    Answer,
    Fleet,
    Server,
    client,
    connect,
    post,
    seed,
    sqlalchemy_url,
    terminate_backends,
    until,
)

pytestmark = pytest.mark.postgres_only

READ = "{ customers(first: 20) { totalCount edges { node { id slug name } } } }"
UNLOCKED_READ = "{ me { scope } }"
FAST = 5.0  # seconds: failing fast, well before any client or proxy would give up
TIMEOUT_MS = 1500
POOL_WAIT = 2.0
COMMON = {
    "background_loops": "false",
    "database_pool_size": "4",  # and as many overflow connections
    "database_pool_timeout": str(POOL_WAIT),
}


@dataclass
class Pair:
    database: str
    master: str
    servers: list[Server]


@pytest.fixture(scope="module")
def pair(module_database: str, module_fleet: Fleet) -> Pair:
    master = asyncio.run(
        seed(sqlalchemy_url(module_database), module_fleet.folder, lambda f: f.master_key())
    )
    servers = module_fleet.start(
        {
            **COMMON,
            "database_pool_pre_ping": "false",
            "database_statement_timeout_ms": str(TIMEOUT_MS),
            "database_lock_timeout_ms": "0",
        },
        {
            **COMMON,
            "database_pool_pre_ping": "true",
            "database_statement_timeout_ms": "0",
            "database_lock_timeout_ms": str(TIMEOUT_MS),
        },
    )
    return Pair(module_database, master, servers)


# ---------------------------------------------------------------- terminated backends

WORKERS = 6  # per process
KILLS = 2


def assert_ok_or_unavailable(answer: Answer) -> None:
    assert answer.status is not None, f"no answer at all: {answer.failure}"
    if answer.status == 200:
        assert answer.body is not None
        assert not answer.body.get("errors"), answer.body
    else:
        assert answer.status == 503, (answer.status, answer.body, answer.failure)
        assert answer.codes == {"SERVICE_UNAVAILABLE"}, answer.body
    assert answer.elapsed < FAST, f"took {answer.elapsed:.1f} s"


def _grown(reads: list[Answer], floor: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(reads) >= floor

    return check


async def test_terminated_backends_answer_503_and_the_process_recovers(
    pair: Pair,
) -> None:
    master, servers, fresh_database = pair.master, pair.servers, pair.database
    sent = Mutations()
    reads: dict[str, list[Answer]] = {server.name: [] for server in servers}
    stop = asyncio.Event()
    clients = [client(server, master, timeout=FAST * 3) for server in servers]

    async def worker(server: Server, n: int) -> None:
        http = clients[servers.index(server)]
        i = 0
        while not stop.is_set():
            i += 1
            if i % 3 == 0:
                await sent.create_customer(http, f"t-{server.name}-{n}-{i}")
            else:
                reads[server.name].append(await post(http, READ))

    def least() -> list[Answer]:
        return min(reads.values(), key=len)

    tasks = [asyncio.create_task(worker(s, n)) for s in servers for n in range(WORKERS)]
    killed = 0
    try:
        for round_ in range(KILLS):
            # Let the load reach every pooled connection of both processes before each kill.
            await until(_grown(least(), len(least()) + 2 * WORKERS), 30, "load before a kill")
            killed += await terminate_backends(fresh_database)
            assert all(server.running for server in servers), round_
        await until(_grown(least(), len(least()) + 2 * WORKERS), 30, "load after the kills")
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    every_read = [answer for answers in reads.values() for answer in answers]
    assert killed >= KILLS * len(servers)  # each kill met live backends of both processes
    for answer in (*every_read, *sent.answers):
        assert_ok_or_unavailable(answer)
    unavailable = sum(1 for a in (*every_read, *sent.answers) if a.status == 503)
    assert unavailable > 0, "no request met a terminated connection"
    try:
        for server, http in zip(servers, clients, strict=True):
            # Recovered, in the same process: a run of requests all succeed, promptly.
            started = time.perf_counter()
            again = await asyncio.gather(*(post(http, READ) for _ in range(3 * WORKERS)))
            assert [a.status for a in again] == [200] * len(again), server.name
            assert time.perf_counter() - started < FAST
            assert server.running
        # Nothing acknowledged lost; what failed goes through once when the client retries.
        await sent.retry_unacknowledged(clients[1])
        await assert_stored(fresh_database, sent)
        await assert_chain_ok(clients[0])
    finally:
        for http in clients:
            await http.aclose()
    print(f"kills={killed} answers={len(every_read) + len(sent.answers)} 503={unavailable}")


# ---------------------------------------------------------------- a locked table

CONCURRENT = 24  # per process, more than its pool holds: the rest queue for a connection
# Queued for a connection, then one timed-out statement, with room for a loaded machine.
BOUND = POOL_WAIT + TIMEOUT_MS / 1000 + 8.0


async def _waiting_on_locks(connection: asyncpg.Connection, database: str) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        database,
    )
    return count


async def test_a_locked_table_times_out_typed_then_serves(
    pair: Pair,
) -> None:
    master, servers, fresh_database = pair.master, pair.servers, pair.database
    sent = Mutations()
    clients = [client(server, master, timeout=BOUND * 3) for server in servers]
    locker, watcher = await connect(fresh_database), await connect(fresh_database)
    try:
        for http in clients:
            assert (await post(http, READ)).status == 200
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
        started = time.perf_counter()
        answers: list[Answer] = await asyncio.gather(
            *(post(http, READ) for http in clients for _ in range(CONCURRENT // 2)),
            *(
                sent.create_customer(http, f"slow-{s}-{n}")
                for s, http in enumerate(clients)
                for n in range(CONCURRENT // 2)
            ),
        )
        took = time.perf_counter() - started
        # Requests that do not touch the table are served meanwhile.
        free = [await post(http, UNLOCKED_READ) for http in clients]
        # Nothing of the app's is left waiting on the lock: the requests gave up.
        left_waiting = await _waiting_on_locks(watcher, fresh_database)
        await transaction.rollback()
        for answer in answers:
            assert answer.status == 503, (answer.status, answer.body, answer.failure)
            assert answer.codes == {"SERVICE_UNAVAILABLE"}, answer.body
            assert answer.elapsed < BOUND, f"took {answer.elapsed:.1f} s"
        assert [a.status for a in free] == [200, 200]
        assert left_waiting == 0
        assert sent.acknowledged() == 0
        # Released: the same processes serve normally, and the refused mutations go through.
        for http in clients:
            after = await asyncio.gather(*(post(http, READ) for _ in range(CONCURRENT)))
            assert [a.status for a in after] == [200] * CONCURRENT
        await sent.retry_unacknowledged(clients[0])
        await assert_stored(fresh_database, sent)
        await assert_chain_ok(clients[1])
    finally:
        for http in clients:
            await http.aclose()
        await locker.close()
        await watcher.close()
    print(f"{len(answers)} requests all answered 503 within {took:.2f} s")
