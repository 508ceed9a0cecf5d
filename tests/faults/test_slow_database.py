"""A database slowed by a lock another connection holds (`LOCK TABLE customers IN ACCESS
EXCLUSIVE MODE` in an open transaction): requests touching the table answer SERVICE_UNAVAILABLE
within the configured timeout instead of piling up, the others are served, and once the lock is
released everything is served normally.

Two processes serve side by side: one bounded by its statement timeout, one by its lock
timeout (each alone, so each is the one that fires)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from tests.faults.checks import Mutations, assert_chain_ok, assert_stored
from tests.faults.support import Answer, Server, client, connect, post, seed, sqlalchemy_url

pytestmark = pytest.mark.postgres_only

READ = "{ customers(first: 20) { totalCount edges { node { id slug } } } }"
UNLOCKED_READ = "{ me { scope } }"
CONCURRENT = 24  # per process, more than its pool holds (4 + 4 overflow): the rest queue
TIMEOUT_MS = 600
POOL_WAIT = 2.0
# Queued for a connection, then one timed-out statement, with room for a loaded machine.
BOUND = POOL_WAIT + TIMEOUT_MS / 1000 + 5.0
COMMON = {
    "background_loops": "false",
    "database_pool_size": "4",
    "database_pool_timeout": str(POOL_WAIT),
}


async def _waiting_on_locks(connection: asyncpg.Connection, database: str) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        database,
    )
    return count


async def test_a_locked_table_times_out_typed_then_serves(
    serve: Callable[..., list[Server]], fresh_database: str, tmp_path: Path
) -> None:
    master = await seed(sqlalchemy_url(fresh_database), tmp_path, lambda f: f.master_key())
    servers = serve(
        {
            **COMMON,
            "database_statement_timeout_ms": str(TIMEOUT_MS),
            "database_lock_timeout_ms": "0",
        },
        {
            **COMMON,
            "database_statement_timeout_ms": "0",
            "database_lock_timeout_ms": str(TIMEOUT_MS),
        },
    )
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
