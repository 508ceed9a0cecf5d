"""Every backend of the app's database terminated (`pg_terminate_backend`) while concurrent
reads and mutations run: requests fail fast with SERVICE_UNAVAILABLE (HTTP 503, never a 500 or
a hang), the same process recovers without a restart, and no acknowledged mutation is lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.faults.checks import Mutations, assert_chain_ok, assert_stored
from tests.faults.support import (
    Answer,
    Server,
    client,
    post,
    seed,
    sqlalchemy_url,
    terminate_backends,
    until,
)

pytestmark = pytest.mark.postgres_only

READ = "{ customers(first: 20) { totalCount edges { node { id slug name } } } }"
WORKERS = 12
KILLS = 3
FAST = 5.0  # seconds: failing fast, well before any client or proxy would give up


def assert_ok_or_unavailable(answer: Answer) -> None:
    assert answer.status is not None, f"no answer at all: {answer.failure}"
    if answer.status == 200:
        assert answer.body is not None
        assert not answer.body.get("errors"), answer.body
    else:
        assert answer.status == 503, (answer.status, answer.body, answer.failure)
        assert answer.codes == {"SERVICE_UNAVAILABLE"}, answer.body
    assert answer.elapsed < FAST, f"took {answer.elapsed:.1f} s"


@pytest.mark.parametrize("pre_ping", ["true", "false"], ids=["pre-ping", "no-pre-ping"])
async def test_terminated_backends_answer_503_and_the_process_recovers(
    serve: Callable[..., Server], fresh_database: str, tmp_path: Path, pre_ping: str
) -> None:
    master = await seed(sqlalchemy_url(fresh_database), tmp_path, lambda f: f.master_key())
    server = serve(
        background_loops="false",
        database_pool_pre_ping=pre_ping,
        database_pool_size="5",
        database_pool_timeout="2",
    )
    sent = Mutations()
    reads: list[Answer] = []
    stop = asyncio.Event()
    async with client(server, master, timeout=FAST * 3) as http:

        async def worker(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                if i % 3 == 0:
                    await sent.create_customer(http, f"t{n}-{i}")
                else:
                    reads.append(await post(http, READ))

        tasks = [asyncio.create_task(worker(n)) for n in range(WORKERS)]
        killed = 0
        try:
            for round_ in range(KILLS):
                # Let the load reach every pooled connection before each kill.
                floor = len(reads) + 3 * WORKERS
                await until(_grown(reads, floor), 30, "load before a kill")
                killed += await terminate_backends(fresh_database)
                assert server.running, round_
            floor = len(reads) + 3 * WORKERS
            await until(_grown(reads, floor), 30, "load after the kills")
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert killed >= KILLS  # the kills met live backends each time
        for answer in (*reads, *sent.answers):
            assert_ok_or_unavailable(answer)
        # Recovered, in the same process: a run of requests all succeed.
        started = time.perf_counter()
        again = await asyncio.gather(*(post(http, READ) for _ in range(3 * WORKERS)))
        assert [a.status for a in again] == [200] * len(again), [
            a.body for a in again if a.status != 200
        ]
        assert time.perf_counter() - started < FAST
        assert server.running
        failed = sum(1 for a in (*reads, *sent.answers) if a.status == 503)
        # Nothing acknowledged lost; what failed goes through once when the client retries.
        await sent.retry_unacknowledged(http)
        await assert_stored(fresh_database, sent)
        await assert_chain_ok(http)
    print(f"kills={killed} answers={len(reads) + len(sent.answers)} unavailable={failed}")


def _grown(reads: list[Answer], floor: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(reads) >= floor

    return check
