"""A bounded schemathesis run over the running app, as a master caller; see `scripts/fuzz`.

A fresh SQLite database (migrated, a little demo data, one master key) behind a real uvicorn
process on a free port; schemathesis generates positive and negative GraphQL operations for
every query and mutation, deterministically (`--generation-deterministic`, a fixed number of
examples per operation), and `tests/fuzz/checks.py` judges each answer. The run fails on any
server error, in an answer or in the server's own log, and prints its figures.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

EXAMPLES = int(os.environ.get("ADMIRAL_FUZZ_EXAMPLES", "50"))
# A budget for the whole run (CI stays within a few minutes on a slow machine); raise it with
# ADMIRAL_FUZZ_EXAMPLES for a longer run.
MAX_SECONDS = int(os.environ.get("ADMIRAL_FUZZ_MAX_SECONDS", "300"))
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_live(url: str, server: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (local URL)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url} within {limit:.0f} s")


# `logTest(input: {level: ERROR})` writes an ERROR entry because an operator asked for one.
ASKED_FOR = "app.logs.test"


def logged_errors(log: Path) -> list[str]:
    """ERROR records of the server's JSON log (unexpected exceptions, failed requests), but
    for the entries `logTest` was asked to write."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback" in line:
                found.append(line)
            continue
        if not isinstance(record, dict) or record.get("logger") == ASKED_FOR:
            continue
        if record.get("level") in ("ERROR", "CRITICAL"):
            found.append(f"{record.get('logger')}: {record.get('message')}")
    return found


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="admiral-fuzz-") as folder:
        tmp = Path(folder)
        env = {
            **os.environ,
            # Another (empty) database may be given, e.g. a PostgreSQL one.
            "ADMIRAL_DATABASE_URL": os.environ.get(
                "ADMIRAL_FUZZ_DATABASE_URL", f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}"
            ),
            "ADMIRAL_SECRET_KEY": "fuzz-run-secret-not-for-production",
            "ADMIRAL_SECRET_FILE": str(tmp / "secret"),
            "ADMIRAL_ARGON2_TIME_COST": "1",
            "ADMIRAL_ARGON2_MEMORY_COST": "1024",
            "ADMIRAL_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }

        def admiral(*args: str) -> str:
            done = subprocess.run(  # noqa: S603 (our own CLI)
                [str(BIN / "admiral"), *args], env=env, check=True, capture_output=True, text=True
            )
            return done.stdout.strip()

        admiral("db", "upgrade")
        admiral("seed", "--users", "40")
        token = admiral("keys", "create-master", "--name", "fuzz")

        port = free_port()
        log = tmp / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(  # noqa: S603 (our own CLI)
                [str(BIN / "admiral"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_live(f"{base}/live", server)
            report = tmp / "report.json"
            started = time.monotonic()
            run = subprocess.run(  # noqa: S603 (the pinned schemathesis)
                [
                    str(BIN / "schemathesis"),
                    "run",
                    f"{base}/graphql",
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--checks",
                    "admiral_no_server_error",
                    "--max-examples",
                    str(EXAMPLES),
                    "--generation-deterministic",
                    "--max-time",
                    str(MAX_SECONDS),
                    "--workers",
                    "1",
                    "--request-timeout",
                    "30",
                    "--report",
                    "json",
                    "--report-json-path",
                    str(report),
                    "--no-color",
                ],
                env={**env, "SCHEMATHESIS_HOOKS": "tests.fuzz.checks"},
                # Schemathesis keeps failing cases under `.schemathesis/` in its working folder
                # and replays them first next time; a fresh folder keeps every run the same.
                cwd=tmp,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

        if not report.exists():
            sys.stdout.write(run.stdout + run.stderr)
            raise SystemExit("schemathesis wrote no report")
        figures = json.loads(report.read_text())
        cases = figures["test_cases"]["generated"]
        operations = figures["operations"]["tested"]
        failing = sum(item["count"] for item in figures["failures"])
        errored = len(figures["errors"]) + figures["test_cases"]["errored"]
        in_log = logged_errors(log)
        server_errors = failing + errored + len(in_log)
        if server_errors or run.returncode != 0:
            sys.stdout.write(run.stdout[-20_000:] + run.stderr[-5_000:])
            for line in in_log[:20]:
                print(f"server log: {line}")
        print(
            f"fuzz: {cases} cases over {operations} operations in {elapsed:.0f} s "
            f"({EXAMPLES} examples each, deterministic, budget {MAX_SECONDS} s); "
            f"server errors: {server_errors} "
            f"({failing} answers, {errored} run errors, {len(in_log)} logged)"
        )
        return 0 if server_errors == 0 and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
