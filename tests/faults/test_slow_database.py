"""A database slowed by a lock another connection holds (`LOCK TABLE customers IN ACCESS
EXCLUSIVE MODE` in an open transaction): requests touching the table answer SERVICE_UNAVAILABLE
within the configured statement or lock timeout instead of piling up, the others are served,
and once the lock is released everything is served normally."""

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
CONCURRENT = 30  # more than the pool holds (5 + 5 overflow): the rest queue for a connection
TIMEOUT_MS = 600
# The pool's wait (2 s) plus a statement's timeout, twice over for the rest of a request.
BOUND = 2.0 + 2 * TIMEOUT_MS / 1000 + 2.0


async def _waiting_on_locks(connection: asyncpg.Connection, database: str) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
        database,
    )
    return count


@pytest.mark.parametrize(
    "timeouts",
    [
        {"database_statement_timeout_ms": str(TIMEOUT_MS), "database_lock_timeout_ms": "0"},
        {"database_statement_timeout_ms": "0", "database_lock_timeout_ms": str(TIMEOUT_MS)},
    ],
    ids=["statement-timeout", "lock-timeout"],
)
async def test_a_locked_table_times_out_typed_then_serves(
    serve: Callable[..., Server], fresh_database: str, tmp_path: Path, timeouts: dict[str, str]
) -> None:
    master = await seed(sqlalchemy_url(fresh_database), tmp_path, lambda f: f.master_key())
    server = serve(
        background_loops="false",
        database_pool_size="5",
        database_pool_timeout="2",
        **timeouts,
    )
    sent = Mutations()
    locker = await connect(fresh_database)
    watcher = await connect(fresh_database)
    async with client(server, master, timeout=BOUND * 3) as http:
        assert (await post(http, READ)).status == 200
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
            started = time.perf_counter()
            answers: list[Answer] = await asyncio.gather(
                *(post(http, READ) for _ in range(CONCURRENT // 2)),
                *(sent.create_customer(http, f"slow-{n}") for n in range(CONCURRENT // 2)),
            )
            took = time.perf_counter() - started
            # A request that does not touch the table is served meanwhile.
            free = await post(http, UNLOCKED_READ)
            # Nothing of the app's is left waiting on the lock: the requests gave up.
            left_waiting = await _waiting_on_locks(watcher, fresh_database)
        finally:
            await locker.execute("ROLLBACK") if locker.is_in_transaction() else None
        for answer in answers:
            assert answer.status == 503, (answer.status, answer.body, answer.failure)
            assert answer.codes == {"SERVICE_UNAVAILABLE"}, answer.body
            assert answer.elapsed < BOUND, f"took {answer.elapsed:.1f} s"
        assert took < BOUND
        assert free.status == 200, free
        assert left_waiting == 0
        assert sent.acknowledged() == 0
        # Released: the same process serves normally, and the refused mutations go through.
        after = await asyncio.gather(*(post(http, READ) for _ in range(CONCURRENT)))
        assert [a.status for a in after] == [200] * CONCURRENT
        await sent.retry_unacknowledged(http)
        await assert_stored(fresh_database, sent)
        await assert_chain_ok(http)
    await locker.close()
    await watcher.close()
    print(f"{CONCURRENT} requests all answered 503 within {took:.2f} s")
