"""Workload W2: `POST /v1/keys/verify` on Admiral against its floor, in the same run.

The floor (`floor.py`, `POST /v1/keys/verify`) hashes the presented key and reads its row by
the unique hash: the one indexed read verification cannot avoid, with none of Admiral's
checks, counters or middleware. Admiral answers with a master key (remembered for a few
seconds, so each request is that one read too) and counts the customer's plan limits in
process; the plan's rate is set high enough that every answer is VALID.

One run: a fresh database (PostgreSQL `admiral_bench_keys` when 127.0.0.1:5432 answers, else
SQLite), migrated, seeded with a few customers, `KEYS` keys issued through the API; then wrk at
BENCH_CONNECTIONS (16) on both. Figures go to BENCH_VERIFY_RESULTS (bench/results-verify.json).
Targets (issue: API keys): at least 0.6 × the floor's req/s, p99 at most 5 ms on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import asyncpg
from harness import admiral_env, compare, fresh_database, graphql, require_wrk, write_results
from run import BENCH, LOGS, Database, Options, admiral_cli, http, start_servers, step

PG_DATABASE = "admiral_bench_keys"
KEYS = 200
ROUTE = "/v1/keys/verify"
RESULTS = Path(os.environ.get("BENCH_VERIFY_RESULTS", BENCH / "results-verify.json"))
CREATE = (
    "mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) "
    "{ secret userErrors { code } } }"
)


def unlimited_plans(database: Database) -> None:
    """Every plan (and plan version: keys take their limits from the live subscription's
    version) gets a rate no run reaches and no quota: the benchmark measures VALID."""
    statements = [
        f"UPDATE {table} SET rate_per_second = 1000000000, monthly_quota = NULL"
        for table in ("plans", "plan_versions")
    ]
    if database.engine == "sqlite":
        with sqlite3.connect(database.floor_url.removeprefix("sqlite:///")) as connection:
            for statement in statements:
                connection.execute(statement)
        return

    async def update() -> None:
        connection = await asyncpg.connect(database.floor_url)
        try:
            for statement in statements:
                await connection.execute(statement)
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(update())


def issue_keys(port: int, key: str) -> str:
    """`KEYS` keys spread over the seeded customers; the secret of one of them."""
    customers = graphql(port, key, "{ customers(first: 20) { nodes { id } } }")
    ids = [node["id"] for node in customers["customers"]["nodes"]]
    secrets = []
    for n in range(KEYS):
        input = {"customerId": ids[n % len(ids)], "name": f"bench {n}", "environment": "LIVE"}
        created = graphql(port, key, CREATE, {"input": input})["apiKeyCreate"]
        assert created["userErrors"] == [], created
        secrets.append(created["secret"])
    return secrets[KEYS // 2]


def main() -> None:
    options = Options.from_env()
    require_wrk()
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-keys-") as temporary:
        directory = Path(temporary)
        database = fresh_database(options, directory, PG_DATABASE, "W2")
        env = admiral_env(database, directory)
        step("migrate, seed a few customers, create a master key")
        admiral_cli(env, "db", "upgrade")
        admiral_cli(env, "seed", "--users", "200", "--seed", "1")
        unlimited_plans(database)
        master = admiral_cli(env, "keys", "create-master", "--name", "bench").strip()
        with ExitStack() as servers:
            admiral, floor = start_servers(servers, env, master)
            admiral, floor = replace(admiral, route=ROUTE), replace(floor, route=ROUTE)
            step(f"issue {KEYS} API keys")
            secret = issue_keys(admiral.port, master)
            body = directory / "verify.json"
            body.write_text(json.dumps({"key": secret}))
            answer = json.loads(
                http(admiral.port, "POST", ROUTE, body.read_bytes(), admiral.authorization)
            )
            assert answer["code"] == "VALID", answer
            floor_answer = json.loads(http(floor.port, "POST", ROUTE, body.read_bytes()))
            assert floor_answer["code"] == "VALID", floor_answer
            figures = compare(options, (admiral, floor), body, "verify")
    write_results(
        figures,
        path=RESULTS,
        workload={"name": "W2", "route": ROUTE, "keys": KEYS, "caller": "master key"},
        database=database,
        options=options,
        load_before=load_before,
        targets={"requests_per_s_over_floor": 0.6, "p99_ms": 5.0},
    )


if __name__ == "__main__":
    main()
