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

import json
import os
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from harness import admiral_env, compare, fresh_database, graphql, require_wrk, write_results
from run import BENCH, LOGS, Options, admiral_cli, http, start_servers, step

PG_DATABASE = "admiral_bench_licenses"
KEYS = 200
ROUTE = "/v1/licenses/validate"
RESULTS = Path(os.environ.get("BENCH_LICENSE_RESULTS", BENCH / "results-licenses.json"))
CREATE = (
    "mutation($input: LicenseIssueInput!) { licenseIssue(input: $input) "
    "{ key userErrors { code } } }"
)


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
    require_wrk()
    LOGS.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-licenses-") as temporary:
        directory = Path(temporary)
        database = fresh_database(options, directory, PG_DATABASE, "W3")
        env = admiral_env(database, directory)
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
            figures = compare(options, (admiral, floor), body, "validate")
    write_results(
        figures,
        path=RESULTS,
        workload={"name": "W3", "route": ROUTE, "licenses": KEYS, "caller": "the key"},
        database=database,
        options=options,
        load_before=load_before,
        targets={"requests_per_s_over_floor": 0.6, "p99_ms": 5.0},
    )


if __name__ == "__main__":
    main()
