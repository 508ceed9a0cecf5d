"""Every backend of the app's database terminated (`pg_terminate_backend`) while concurrent
reads and mutations run: requests fail fast with SERVICE_UNAVAILABLE (HTTP 503, never a 500 or
a hang), the same process recovers without a restart, and no acknowledged mutation is lost.

Two processes serve side by side: one tests pooled connections before use (the pre-ping), one
does not, so its recovery rests on the driver reporting the disconnect alone."""

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
WORKERS = 8  # per process
KILLS = 3
FAST = 5.0  # seconds: failing fast, well before any client or proxy would give up
POOL = {"background_loops": "false", "database_pool_size": "4", "database_pool_timeout": "2"}


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
    serve: Callable[..., list[Server]], fresh_database: str, tmp_path: Path
) -> None:
    master = await seed(sqlalchemy_url(fresh_database), tmp_path, lambda f: f.master_key())
    servers = serve(
        {**POOL, "database_pool_pre_ping": "true"}, {**POOL, "database_pool_pre_ping": "false"}
    )
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
                await sent.create_customer(http, f"{server.name}-{n}-{i}")
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
