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
import shutil
import sqlite3
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from run import (
    BENCH,
    LOGS,
    Database,
    Figures,
    Options,
    admiral_cli,
    fresh_postgres,
    fresh_sqlite,
    http,
    measure,
    ratio,
    start_servers,
    step,
    versions,
    wrk,
)

PG_DATABASE = "admiral_bench_keys"
KEYS = 200
ROUTE = "/v1/keys/verify"
RESULTS = Path(os.environ.get("BENCH_VERIFY_RESULTS", BENCH / "results-verify.json"))
CREATE = (
    "mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) "
    "{ secret userErrors { code } } }"
)


def unlimited_plans(database: Database) -> None:
    """Every plan gets a rate no run reaches and no quota: the benchmark measures VALID."""
    statement = "UPDATE plans SET rate_per_second = 1000000000, monthly_quota = NULL"
    if database.engine == "sqlite":
        with sqlite3.connect(database.floor_url.removeprefix("sqlite:///")) as connection:
            connection.execute(statement)
        return

    async def update() -> None:
        connection = await asyncpg.connect(database.floor_url)
        try:
            await connection.execute(statement)
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(update())


def graphql(port: int, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return json.loads(http(port, "POST", "/graphql", body, f"Bearer {key}"))["data"]


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
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/bench installs it (apt-get install wrk)")
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-keys-") as temporary:
        directory = Path(temporary)
        step(f"W2: fresh {options.engine} database")
        if options.engine == "postgresql":
            database = asyncio.run(fresh_postgres(options.pg_admin, PG_DATABASE))
        else:
            database = fresh_sqlite(directory)
        env = {
            **os.environ,
            "ADMIRAL_DATABASE_URL": database.admiral_url,
            "ADMIRAL_SECRET_FILE": str(directory / "secret"),
            "ADMIRAL_LOG_LEVEL": "WARNING",
            "BENCH_FLOOR_DATABASE": database.floor_url,
        }
        env.pop("ADMIRAL_REDIS_URL", None)  # the default, in-process counters
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
            if options.warmup > 0:
                step(f"warm up ({options.warmup} s each)")
                for target in (admiral, floor):
                    wrk(options, target, body, options.warmup, f"{target.name}-verify-warmup")
            figures: Figures = {}
            for target in (admiral, floor):
                step(f"{target.name}: {ROUTE}, {options.duration} s")
                figures[target.name] = measure(
                    options, target, body, options.duration, f"{target.name}-verify"
                )
    figures["admiral_over_floor"] = {
        key: ratio(figures["admiral"][key], figures["floor"][key])
        for key in ("requests_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")
    }
    results: Figures = {
        "schema": "admiral-bench/1",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": {"name": "W2", "route": ROUTE, "keys": KEYS, "caller": "master key"},
        "engine": {"name": database.engine, "version": database.version},
        "machine": {
            "cores": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": versions(),
        "load": {
            "tool": "wrk",
            "threads": options.threads,
            "connections": options.connections,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "server_workers": 1,
        },
        "results": figures,
        "targets": {"requests_per_s_over_floor": 0.6, "p99_ms": 5.0},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    over = figures["admiral_over_floor"]
    print(f"\nW2 {ROUTE} on {database.version}, wrk {options.connections} connections")
    print(f"{'':14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'SQL/req':>10}")
    for name, row in (("admiral", figures["admiral"]), ("floor", figures["floor"])):
        cells = [row[k] for k in ("requests_per_s", "p50_ms", "p99_ms")]
        cells.append(row["sql_statements_per_request"])
        print(f"{name:14}" + "".join(f"{cell!s:>10}" for cell in cells))
    cells = [over[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")]
    print(f"{'admiral/floor':14}" + "".join(f"{cell!s:>10}" for cell in cells))
    print(f"\nWritten to {RESULTS}")


if __name__ == "__main__":
    main()
