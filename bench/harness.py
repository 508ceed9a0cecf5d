"""What the workloads beside `run.py` share: a fresh database and Admiral's environment for
it, GraphQL calls to set the data up, and for the route workloads (W2 verify, W3 licenses, W4
ingest) the same wrk run on Admiral and its floor, compared and written to a results file in
the `admiral-bench/1` shape."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import (
    Database,
    Figures,
    Options,
    Target,
    fresh_postgres,
    fresh_sqlite,
    http,
    measure,
    ratio,
    step,
    versions,
    wrk,
)

COMPARED = ("p50_ms", "p99_ms", "sql_statements_per_request")


def require_wrk() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/bench installs it (apt-get install wrk)")


def fresh_database(options: Options, directory: Path, pg_name: str, workload: str) -> Database:
    step(f"{workload}: fresh {options.engine} database")
    if options.engine == "postgresql":
        return asyncio.run(fresh_postgres(options.pg_admin, pg_name))
    return fresh_sqlite(directory)


def admiral_env(database: Database, directory: Path, **extra: str) -> dict[str, str]:
    """Admiral's environment on `database` (the floor's too), Redis left out: the default,
    in-process counters."""
    env = {
        **os.environ,
        "ADMIRAL_DATABASE_URL": database.admiral_url,
        "ADMIRAL_SECRET_FILE": str(directory / "secret"),
        "ADMIRAL_LOG_LEVEL": "WARNING",
        "BENCH_FLOOR_DATABASE": database.floor_url,
        **extra,
    }
    env.pop("ADMIRAL_REDIS_URL", None)
    return env


def graphql(port: int, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return json.loads(http(port, "POST", "/graphql", body, f"Bearer {key}"))["data"]


def compare(
    options: Options, targets: tuple[Target, Target], body: Path, label: str, per_request: int = 1
) -> Figures:
    """Warm both up, then measure each for `options.duration` seconds; with `per_request` > 1
    (events in a batch) `events_per_s` too."""
    if options.warmup > 0:
        step(f"warm up ({options.warmup} s each)")
        for target in targets:
            wrk(options, target, body, options.warmup, f"{target.name}-{label}-warmup")
    figures: Figures = {}
    for target in targets:
        step(f"{target.name}: {target.route}, {options.duration} s")
        found = measure(options, target, body, options.duration, f"{target.name}-{label}")
        if per_request > 1:
            found["events_per_s"] = round(found["requests_per_s"] * per_request, 1)
        figures[target.name] = found
    return figures


def write_results(
    figures: Figures,
    *,
    path: Path,
    workload: dict[str, Any],
    database: Database,
    options: Options,
    load_before: tuple[float, float, float],
    targets: dict[str, float],
    rate: str = "requests_per_s",
    note: str = "",
) -> None:
    """Add Admiral over the floor, write the results file and print the table."""
    keys = (rate, *COMPARED)
    figures["admiral_over_floor"] = {
        key: ratio(figures["admiral"][key], figures["floor"][key]) for key in keys
    }
    results: Figures = {
        "schema": "admiral-bench/1",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": workload,
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
        "targets": targets,
    }
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"\n{workload['name']} {workload['route']} on {database.version}{note}, "
        f"wrk {options.connections} connections"
    )
    label = "events/s" if rate == "events_per_s" else "req/s"
    print(f"{'':14}{label:>10}{'p50 ms':>10}{'p99 ms':>10}{'SQL/req':>10}")
    for name in ("admiral", "floor", "admiral_over_floor"):
        row = figures[name]
        title = "admiral/floor" if name == "admiral_over_floor" else name
        print(f"{title:14}" + "".join(f"{row[key]!s:>10}" for key in keys))
    print(f"\nWritten to {path}")
