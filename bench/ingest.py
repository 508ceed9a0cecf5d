"""Workload W4: `POST /v1/usage` (batches of 100 events) on Admiral against its floor.

The floor (`floor.py`, `POST /v1/usage`) inserts the batch's rows with one prepared statement:
none of Admiral's key verification, validation, idempotency index or unit of work. Both get the
same body (100 events of one declared metric, no idempotency keys, so every batch is stored);
the aggregator is off in Admiral (`ADMIRAL_BACKGROUND_LOOPS=false`) so both measure ingest.
Figures go to BENCH_INGEST_RESULTS (bench/results-ingest.json); events/s = requests/s × 100.
Target (issue: usage): at least 0.5 × the floor's events/s.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from harness import admiral_env, compare, fresh_database, graphql, require_wrk, write_results
from run import BENCH, LOGS, Options, admiral_cli, start_servers, step
from verify import CREATE, unlimited_plans

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
    require_wrk()
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-usage-") as temporary:
        directory = Path(temporary)
        database = fresh_database(options, directory, PG_DATABASE, "W4")
        env = admiral_env(database, directory, ADMIRAL_BACKGROUND_LOOPS="false")
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
            figures = compare(options, (admiral, floor), body, "usage", per_request=BATCH)
    write_results(
        figures,
        path=RESULTS,
        workload={"name": "W4", "route": ROUTE, "batch": BATCH, "caller": "API key"},
        database=database,
        options=options,
        load_before=load_before,
        targets={"events_per_s_over_floor": 0.5},
        rate="events_per_s",
        note=f", batches of {BATCH}",
    )


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
