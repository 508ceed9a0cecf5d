"""Workload W4: `POST /v1/usage` (batches of 100 events) on Admiral against its floor.

The floor (`floor.py`, `POST /v1/usage`) inserts the batch's rows with one prepared statement:
none of Admiral's key verification, validation, idempotency index or unit of work. Both get the
same body (100 events of one declared metric, no idempotency keys, so every batch is stored);
the aggregator is off in Admiral (`ADMIRAL_BACKGROUND_LOOPS=false`) so both measure ingest.
Figures go to BENCH_INGEST_RESULTS (bench/results-ingest.json); events/s = requests/s × 100.
Target (issue: usage): at least 0.5 × the floor's events/s.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from run import (
    BENCH,
    LOGS,
    Figures,
    Options,
    admiral_cli,
    fresh_postgres,
    fresh_sqlite,
    measure,
    ratio,
    start_servers,
    step,
    versions,
    wrk,
)
from verify import CREATE, graphql, unlimited_plans

PG_DATABASE = "admiral_bench_usage"
ROUTE = "/v1/usage"
BATCH = 100
RESULTS = Path(os.environ.get("BENCH_INGEST_RESULTS", BENCH / "results-ingest.json"))
METRIC = (
    'mutation { usageMetricCreate(input: {code: "api_calls", name: "API calls", '
    'unit: "requests", aggregation: SUM}) { usageMetric { id } userErrors { code } } }'
)


def _hex(public_id: str) -> str:
    from app.kit.ids import decode

    return decode(public_id, public_id.rpartition("_")[0]).hex


def main() -> None:
    options = Options.from_env()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/bench installs it (apt-get install wrk)")
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-usage-") as temporary:
        directory = Path(temporary)
        step(f"W4: fresh {options.engine} database")
        if options.engine == "postgresql":
            database = asyncio.run(fresh_postgres(options.pg_admin, PG_DATABASE))
        else:
            database = fresh_sqlite(directory)
        env = {
            **os.environ,
            "ADMIRAL_DATABASE_URL": database.admiral_url,
            "ADMIRAL_SECRET_FILE": str(directory / "secret"),
            "ADMIRAL_LOG_LEVEL": "WARNING",
            "ADMIRAL_BACKGROUND_LOOPS": "false",
            "BENCH_FLOOR_DATABASE": database.floor_url,
        }
        env.pop("ADMIRAL_REDIS_URL", None)
        step("migrate, seed a few customers, create a master key")
        admiral_cli(env, "db", "upgrade")
        admiral_cli(env, "seed", "--users", "50", "--seed", "1")
        unlimited_plans(database)
        master = admiral_cli(env, "keys", "create-master", "--name", "bench").strip()
        ids = directory / "usage-ids"
        env["BENCH_USAGE_IDS_FILE"] = str(ids)
        with ExitStack() as servers:
            admiral, floor = start_servers(servers, env, master)
            metric = graphql(admiral.port, master, METRIC)["usageMetricCreate"]
            assert metric["userErrors"] == [], metric
            customers = graphql(admiral.port, master, "{ customers(first: 1) { nodes { id } } }")
            customer = customers["customers"]["nodes"][0]["id"]
            created = graphql(
                admiral.port,
                master,
                CREATE,
                {"input": {"customerId": customer, "name": "meter", "environment": "LIVE"}},
            )["apiKeyCreate"]
            ids.write_text(f"{_hex(customer)}:{_hex(metric['usageMetric']['id'])}")
            admiral = replace(admiral, route=ROUTE, authorization=f"Bearer {created['secret']}")
            floor = replace(floor, route=ROUTE)
            body = directory / "usage.json"
            body.write_text(
                json.dumps({"events": [{"metric": "api_calls", "quantity": 1}] * BATCH})
            )
            for target in (admiral, floor):
                http_answer = http_status(target, body.read_bytes())
                assert http_answer == 202, (target.name, http_answer)
            if options.warmup > 0:
                step(f"warm up ({options.warmup} s each)")
                for target in (admiral, floor):
                    wrk(options, target, body, options.warmup, f"{target.name}-usage-warmup")
            figures: Figures = {}
            for target in (admiral, floor):
                step(f"{target.name}: {ROUTE}, {options.duration} s")
                found = measure(options, target, body, options.duration, f"{target.name}-usage")
                found["events_per_s"] = round(found["requests_per_s"] * BATCH, 1)
                figures[target.name] = found
    figures["admiral_over_floor"] = {
        key: ratio(figures["admiral"][key], figures["floor"][key])
        for key in ("events_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")
    }
    results: Figures = {
        "schema": "admiral-bench/1",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": {"name": "W4", "route": ROUTE, "batch": BATCH, "caller": "API key"},
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
        "targets": {"events_per_s_over_floor": 0.5},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    over = figures["admiral_over_floor"]
    print(
        f"\nW4 {ROUTE} on {database.version}, batches of {BATCH}, "
        f"wrk {options.connections} connections"
    )
    print(f"{'':14}{'events/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'SQL/req':>10}")
    for name, row in (("admiral", figures["admiral"]), ("floor", figures["floor"])):
        cells = [row[k] for k in ("events_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")]
        print(f"{name:14}" + "".join(f"{cell!s:>10}" for cell in cells))
    cells = [over[k] for k in ("events_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")]
    print(f"{'admiral/floor':14}" + "".join(f"{cell!s:>10}" for cell in cells))
    print(f"\nWritten to {RESULTS}")


def http_status(target: object, body: bytes) -> int:
    from http.client import HTTPConnection

    port = target.port  # type: ignore[attr-defined]
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    authorization = target.authorization  # type: ignore[attr-defined]
    if authorization:
        headers["Authorization"] = authorization
    try:
        connection.request("POST", ROUTE, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


if __name__ == "__main__":
    main()
