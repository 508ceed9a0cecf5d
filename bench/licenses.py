"""Workload W3: `POST /v1/licenses/validate` on Admiral against its floor, in the same run.

The floor (`floor.py`, `POST /v1/licenses/validate`) verifies the key's Ed25519 signature with
the public keys it read once, hashes the key and reads its row by the unique hash: the work
validation cannot avoid, with none of Admiral's checks or middleware. Admiral reads the same
row (with the machine counts as subqueries) and checks the status; the license validated is
not bound to machines, so no fingerprint is sent and every answer is VALID.

One run: a fresh database (PostgreSQL `admiral_bench_licenses` when 127.0.0.1:5432 answers,
else SQLite), migrated, seeded with a few customers, `LICENSES` licenses issued through the
API; then wrk at BENCH_CONNECTIONS (16) on both. Figures go to BENCH_LICENSE_RESULTS
(bench/results-licenses.json). Targets (issue: licenses): at least 0.6 × the floor's req/s,
p99 at most 5 ms on PostgreSQL.
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
from typing import Any

from run import (
    BENCH,
    LOGS,
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

PG_DATABASE = "admiral_bench_licenses"
KEYS = 200
ROUTE = "/v1/licenses/validate"
RESULTS = Path(os.environ.get("BENCH_LICENSE_RESULTS", BENCH / "results-licenses.json"))
CREATE = (
    "mutation($input: LicenseIssueInput!) { licenseIssue(input: $input) "
    "{ key userErrors { code } } }"
)


def graphql(port: int, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return json.loads(http(port, "POST", "/graphql", body, f"Bearer {key}"))["data"]


def issue_licenses(port: int, key: str) -> str:
    """`KEYS` licenses spread over the seeded customers; the key of one of them."""
    customers = graphql(port, key, "{ customers(first: 20) { nodes { id } } }")
    ids = [node["id"] for node in customers["customers"]["nodes"]]
    secrets = []
    for n in range(KEYS):
        input = {"customerId": ids[n % len(ids)], "entitlements": ["bench"], "maxMachines": 0}
        created = graphql(port, key, CREATE, {"input": input})["licenseIssue"]
        assert created["userErrors"] == [], created
        secrets.append(created["key"])
    return secrets[KEYS // 2]


def main() -> None:
    options = Options.from_env()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/bench installs it (apt-get install wrk)")
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-licenses-") as temporary:
        directory = Path(temporary)
        step(f"W3: fresh {options.engine} database")
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
        step("migrate, seed a few customers, create a master key")
        admiral_cli(env, "db", "upgrade")
        admiral_cli(env, "seed", "--users", "200", "--seed", "1")
        master = admiral_cli(env, "keys", "create-master", "--name", "bench").strip()
        with ExitStack() as servers:
            admiral, floor = start_servers(servers, env, master)
            admiral, floor = replace(admiral, route=ROUTE), replace(floor, route=ROUTE)
            step(f"issue {KEYS} licenses")
            secret = issue_licenses(admiral.port, master)
            body = directory / "validate.json"
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
                    wrk(options, target, body, options.warmup, f"{target.name}-validate-warmup")
            figures: Figures = {}
            for target in (admiral, floor):
                step(f"{target.name}: {ROUTE}, {options.duration} s")
                figures[target.name] = measure(
                    options, target, body, options.duration, f"{target.name}-validate"
                )
    figures["admiral_over_floor"] = {
        key: ratio(figures["admiral"][key], figures["floor"][key])
        for key in ("requests_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")
    }
    results: Figures = {
        "schema": "admiral-bench/1",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": {"name": "W3", "route": ROUTE, "licenses": KEYS, "caller": "the key"},
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
    print(f"\nW3 {ROUTE} on {database.version}, wrk {options.connections} connections")
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
