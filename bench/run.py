"""Benchmark workload W1 on Admiral against the hand-written floor; write bench/results.json.

One run: a fresh database (PostgreSQL `admiral_bench` when 127.0.0.1:5432 answers, else SQLite
in a temporary directory), migrations, 20,000 seeded users, ANALYZE, a master key; Admiral
(`admiral serve`) and the floor (`bench/floor.py`) as one uvicorn worker each; a check that both
return the same JSON; a warm-up; wrk on each (the main run, then p50 per page size); the
statements per request from each server's `/metrics`. Servers are stopped in every case.

Environment (all optional): BENCH_ENGINE (auto | postgresql | sqlite), BENCH_DURATION (15),
BENCH_WARMUP (5), BENCH_PAGE_DURATION (5), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
BENCH_PG_ADMIN (a PostgreSQL URL of an existing database to create `admiral_bench` from),
BENCH_RESULTS (bench/results.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.client import HTTPConnection
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LOGS = BENCH / "results"  # server and wrk logs of the last run (git-ignored)
LUA = BENCH / "wrk" / "post.lua"
QUERY_FILE = BENCH / "queries" / "users_page.graphql"
BIN = Path(sys.executable).parent
USERS, SEED = 20_000, 1
MAIN_PAGE, PAGE_SIZES = 100, (10, 100, 200)
PG_DATABASE = "admiral_bench"
PG_ADMIN_URLS = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://postgres@127.0.0.1:5432/test",
)
PACKAGES = """admiral strawberry-graphql graphql-core starlette uvicorn
    sqlalchemy asyncpg aiosqlite aiodataloader""".split()  # versions recorded in the results

Figures = dict[str, Any]


@dataclass(frozen=True)
class Options:
    engine: str
    duration: int
    warmup: int
    page_duration: int
    connections: int
    threads: int
    pg_admin: str | None
    results: Path

    @classmethod
    def from_env(cls) -> Options:
        def number(name: str, default: int) -> int:
            return int(os.environ.get(name, default))

        engine = os.environ.get("BENCH_ENGINE", "auto")
        if engine == "auto":
            engine = "postgresql" if _reachable("127.0.0.1", 5432) else "sqlite"
        if engine not in ("postgresql", "sqlite"):
            raise SystemExit(f"BENCH_ENGINE must be auto, postgresql or sqlite, not {engine!r}")
        return cls(
            engine=engine,
            duration=number("BENCH_DURATION", 15),
            warmup=number("BENCH_WARMUP", 5),
            page_duration=number("BENCH_PAGE_DURATION", 5),
            connections=number("BENCH_CONNECTIONS", 16),
            threads=number("BENCH_THREADS", 2),
            pg_admin=os.environ.get("BENCH_PG_ADMIN"),
            results=Path(os.environ.get("BENCH_RESULTS", BENCH / "results.json")),
        )


@dataclass(frozen=True)
class Database:
    engine: str
    version: str
    admiral_url: str  # SQLAlchemy URL for Admiral
    floor_url: str  # asyncpg URL, or sqlite:///path for the floor


@dataclass(frozen=True)
class Target:
    """A server under test: its name (also its metrics' prefix), port and Authorization header."""

    name: str
    port: int
    authorization: str = ""
    route: str = "/graphql"  # the endpoint under load, whose requests the counters follow
    prefix: str = ""  # its metrics' prefix when not its name
    metrics: bool = True  # False: no /metrics (PostGraphile), no statement counts


def step(message: str) -> None:
    print(f"== {message}", flush=True)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- the database -------------------------------------------------------------------------------


async def fresh_postgres(admin_url: str | None, name: str = PG_DATABASE) -> Database:
    """Drop and create `name` (`admiral_bench`), connected to an existing database as user
    postgres."""
    error: Exception | None = None
    for url in [admin_url] if admin_url else PG_ADMIN_URLS:
        try:
            admin = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError) as failure:
            error = failure
            continue
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {name}")
            server_version = await admin.fetchval("SHOW server_version")
        finally:
            await admin.close()
        base = url.rsplit("/", 1)[0]
        return Database(
            engine="postgresql",
            version=f"PostgreSQL {server_version}",
            admiral_url=f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}",
            floor_url=f"{base}/{name}",
        )
    raise SystemExit(f"Cannot connect to PostgreSQL to create {name}: {error}")


def fresh_sqlite(directory: Path) -> Database:
    path = directory / "admiral_bench.db"
    return Database(
        engine="sqlite",
        version=f"SQLite {sqlite3.sqlite_version}",
        admiral_url=f"sqlite+aiosqlite:///{path}",
        floor_url=f"sqlite:///{path}",
    )


def analyze(database: Database) -> None:
    """Planner statistics after the bulk load, as autovacuum would soon gather them."""
    if database.engine == "sqlite":
        with sqlite3.connect(database.floor_url.removeprefix("sqlite:///")) as connection:
            connection.execute("ANALYZE")
        return

    async def vacuum() -> None:
        connection = await asyncpg.connect(database.floor_url)
        try:
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    asyncio.run(vacuum())


def admiral_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own CLI)
        [str(BIN / "admiral"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"admiral {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


# -- servers ------------------------------------------------------------------------------------


def http(port: int, method: str, path: str, body: bytes = b"", authorization: str = "") -> bytes:
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} :{port}{path} answered {response.status}: {data[:300]!r}")
    return data


@contextmanager
def server(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    ready: tuple[str, str, bytes] = ("GET", "/live", b""),
) -> Iterator[int]:
    """Run `command` (a server on `port`) until the block ends; its output goes to a log file.

    It is up once `ready` (method, path, body) answers 200."""
    log_path = LOGS / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own servers)
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited early; see {log_path}")
                try:
                    http(port, *ready)
                    break
                except (OSError, RuntimeError):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{name} not live after 60 s; see {log_path}") from None
                    time.sleep(0.2)
            yield port
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def counters(target: Target) -> tuple[float, float]:
    """(SQL statements sent, requests to its route answered) so far, from its /metrics."""
    statements = requests = 0.0
    if not target.metrics:
        return statements, requests
    prefix = target.prefix or target.name
    # Admiral's /metrics wants the master key unless ADMIRAL_METRICS_PUBLIC is set.
    scraped = http(target.port, "GET", "/metrics", authorization=target.authorization)
    for line in scraped.decode().splitlines():
        if line.startswith(f"{prefix}_sql_statements_total "):
            statements = float(line.split()[-1])
        elif line.startswith(f"{prefix}_http_requests_total{{") and (
            f'route="{target.route}"' in line
        ):
            requests += float(line.split()[-1])
    return statements, requests


def drain(target: Target, answered: float) -> tuple[float, float]:
    """The counters once the server has answered `answered` /graphql requests in all.

    wrk stops with a request in flight on each connection; the server still answers those.
    """
    deadline = time.monotonic() + 300
    while True:
        statements, requests = counters(target)
        if requests >= answered:
            return statements, requests
        if time.monotonic() > deadline:
            print(
                f"   warning: {target.name} answered {answered - requests:.0f} too few", flush=True
            )
            return statements, requests
        time.sleep(0.2)


# -- the workload -------------------------------------------------------------------------------


def query(first: int) -> str:
    text = QUERY_FILE.read_text().strip()
    needle = f"first: {MAIN_PAGE}"
    assert needle in text, f"{QUERY_FILE} no longer asks for {needle!r}"
    return text.replace(needle, f"first: {first}")


def first_difference(left: Any, right: Any, path: str = "$") -> str | None:
    if isinstance(left, dict) and isinstance(right, dict):
        if list(left) != list(right):
            return f"{path}: keys {list(left)} != {list(right)}"
        for key in left:
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)}"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} != {right!r}"


def same_json(admiral: Target, floor: Target, body: bytes) -> Figures:
    """Both servers' answers to `body`, parsed: they must be equal, and carry no errors."""
    answers = [http(t.port, "POST", "/graphql", body, t.authorization) for t in (admiral, floor)]
    parsed = [json.loads(answer) for answer in answers]
    if "errors" in parsed[0] or "data" not in parsed[0]:
        raise SystemExit(f"Admiral answered with errors: {answers[0][:500]!r}")
    difference = first_difference(parsed[0], parsed[1])
    if difference:
        raise SystemExit(f"The floor's JSON differs from Admiral's at {difference}")
    return {
        "parsed_equal": True,
        "bytes_equal": answers[0] == answers[1],
        "admiral_bytes": len(answers[0]),
        "floor_bytes": len(answers[1]),
        "edges": len(parsed[0]["data"]["users"]["edges"]),
    }


def wrk(options: Options, target: Target, body_file: Path, seconds: int, label: str) -> Figures:
    """One wrk run on `target`, and the SQL statements per request it caused there."""
    command = [shutil.which("wrk") or "wrk", f"-t{options.threads}", f"-c{options.connections}"]
    command += [f"-d{seconds}s", "--timeout", "60s", "--latency", "-s", str(LUA)]
    command += [f"http://127.0.0.1:{target.port}{target.route}"]
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file)}
    env["BENCH_AUTHORIZATION"] = target.authorization
    statements, requests = counters(target)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    (LOGS / f"wrk-{label}.log").write_text(done.stdout + done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({label}):\n{done.stdout}{done.stderr}")
    raw = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    if target.metrics:
        statements_after, requests_after = drain(target, requests + raw["sent"])
        answered = requests_after - requests
    else:
        statements_after, answered = statements, 0
    latency = raw["latency_us"]
    return {
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "requests": raw["requests"],
        "errors": sum(raw["errors"].values()),
        "duration_s": seconds,
        "sql_statements_per_request": (
            round((statements_after - statements) / answered, 2) if answered else None
        ),
    }


def measure(options: Options, target: Target, body_file: Path, seconds: int, label: str) -> Figures:
    """wrk on `target`, repeated twice as long until it got as many answers as connections.

    A slow server answers nothing until every connection's first request is done: one worker
    runs them all interleaved.
    """
    while True:
        figures = wrk(options, target, body_file, seconds, label)
        if figures["requests"] >= options.connections or seconds >= 120:
            break
        seconds *= 2
        print(f"   too few answers ({figures['requests']}): again for {seconds} s", flush=True)
    if figures["errors"]:
        print(f"   warning: {figures['errors']} errors during {label}", flush=True)
    return figures


# -- the report ---------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        found[package] = version(package)
    wrk_banner = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "wrk", "-v"], capture_output=True, text=True, check=False
    )
    found["wrk"] = (wrk_banner.stdout + wrk_banner.stderr).split("Copyright")[0].strip()
    git = subprocess.run(  # noqa: S603
        [shutil.which("git") or "git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    found["git"] = git.stdout.strip() or "unknown"
    return found


def ratio(admiral: float | None, floor: float | None) -> float | None:
    return round(admiral / floor, 4) if admiral and floor else None


def print_table(results: Figures, path: Path) -> None:
    main, load = results["results"], results["load"]
    print(
        f"\nW1 users page (first: {MAIN_PAGE}) on {results['engine']['version']}, "
        f"{results['machine']['cores']} cores, wrk {load['connections']} connections"
    )
    columns = ("requests_per_s", "p50_ms", "p99_ms", "sql_statements_per_request", "duration_s")
    print(f"{'':22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'SQL/req':>10}{'s':>6}")
    for name, figures in main.items():
        cells = [figures.get(column) for column in columns]
        print(
            f"{name:22}" + "".join(f"{cell!s:>10}" for cell in cells[:4]) + f"{cells[4] or '':>6}"
        )
    print("\np50 ms at one connection")
    for name, figures in results["one_connection"].items():
        print(f"{name:22}{figures['p50_ms']:>10}")
    print("\np50 ms by page size")
    print(f"{'':22}" + "".join(f"{'first: ' + size:>12}" for size in results["page_sizes"]))
    names = next(iter(results["page_sizes"].values())).keys()
    for name in names:
        p50s = [pages[name]["p50_ms"] for pages in results["page_sizes"].values()]
        print(f"{name:22}" + "".join(f"{p50:>12}" for p50 in p50s))
    print("\ngoals")
    for name, value in results["goals"].items():
        print(f"  {name}: {value}")
    print(f"\nWritten to {path}")


def prepare(options: Options, directory: Path) -> tuple[Database, dict[str, str], str]:
    """A fresh, migrated, seeded and analyzed database; the servers' environment; a master key."""
    step(f"fresh {options.engine} database")
    if options.engine == "postgresql":
        database = asyncio.run(fresh_postgres(options.pg_admin))
    else:
        database = fresh_sqlite(directory)
    env = {
        **os.environ,
        "ADMIRAL_DATABASE_URL": database.admiral_url,
        "ADMIRAL_SECRET_KEY": secrets.token_urlsafe(32),
        "ADMIRAL_SECRET_FILE": str(directory / "secret"),
        "ADMIRAL_LOG_LEVEL": "WARNING",
        "BENCH_FLOOR_DATABASE": database.floor_url,
    }
    step(f"migrate, seed {USERS} users, analyze, create a master key")
    admiral_cli(env, "db", "upgrade")
    admiral_cli(env, "seed", "--users", str(USERS), "--seed", str(SEED))
    analyze(database)
    key = admiral_cli(env, "keys", "create-master", "--name", "bench").strip()
    return database, env, key


def _postgraphile_dir() -> Path:
    """`BENCH_POSTGRAPHILE`, else the shared checkout's `bench/postgraphile` next to the repo."""
    given = os.environ.get("BENCH_POSTGRAPHILE")
    if given:
        return Path(given)
    candidates = [parent / "shared/bench/postgraphile" for parent in ROOT.parents]
    return next((path for path in candidates if path.exists()), candidates[0])


PGL_SERVE = _postgraphile_dir()


def postgraphile_query(first: int) -> str:
    text = (PGL_SERVE / "w1.graphql").read_text()
    return text.replace(f"first: {MAIN_PAGE}", f"first: {first}")


def start_servers(
    servers: ExitStack, env: dict[str, str], key: str, database: Database
) -> list[Target]:
    """Admiral on the compiled read path and on the ordinary one, the floor, and PostGraphile
    (on PostgreSQL, when its `serve` script is there), one process each."""
    step("start Admiral (compiled and ordinary), the floor and PostGraphile")
    targets = [
        Target("admiral", free_port(), f"Bearer {key}"),
        Target("admiral_ordinary", free_port(), f"Bearer {key}", prefix="admiral"),
    ]
    # Without the background loops: on a freshly seeded database they work through the
    # seed's outbox (webhook fan-out, emails, renewals), whose statements /metrics counts
    # with the requests' (about 0.3 per request) and whose CPU the requests then share.
    quiet = {**env, "ADMIRAL_BACKGROUND_LOOPS": "false"}
    for target, path in zip(targets, ("compiled", "ordinary"), strict=True):
        command = [str(BIN / "admiral"), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(target.port), "--workers", "1"]
        servers.enter_context(
            server(target.name, command, {**quiet, "ADMIRAL_READ_PATH": path}, target.port)
        )
    floor = Target("floor", free_port())
    command = [sys.executable, "-m", "uvicorn", "floor:app", "--app-dir", str(BENCH)]
    command += ["--host", "127.0.0.1", "--port", str(floor.port), "--workers", "1"]
    command += ["--no-access-log", "--log-level", "warning"]
    servers.enter_context(server("floor", command, env, floor.port))
    targets.append(floor)
    serve = PGL_SERVE / "serve"
    if database.engine == "postgresql" and serve.exists():
        pgl = Target("postgraphile", free_port(), route="/graphql", metrics=False)
        ready = ("POST", "/graphql", b'{"query":"{__typename}"}')
        pgl_env = {
            **env,
            "PGL_DATABASE_URL": database.floor_url.replace("postgresql://", "postgres://"),
        }
        servers.enter_context(
            server("postgraphile", [str(serve), str(pgl.port)], pgl_env, pgl.port, ready)
        )
        targets.append(pgl)
    return targets


def check_answers(targets: list[Target], bodies: dict[str, dict[int, Path]]) -> Figures:
    """Both Admiral paths and the floor give the same JSON; PostGraphile answers its page."""
    admiral, ordinary, floor = targets[:3]
    checks: Figures = {}
    for size in PAGE_SIZES:
        body = bodies["admiral"][size].read_bytes()
        checks[str(size)] = same_json(admiral, floor, body)
        compiled_answer = http(admiral.port, "POST", "/graphql", body, admiral.authorization)
        ordinary_answer = http(ordinary.port, "POST", "/graphql", body, ordinary.authorization)
        if json.loads(compiled_answer) != json.loads(ordinary_answer):
            raise SystemExit(f"first {size}: the compiled path's JSON differs from the ordinary")
        checks[str(size)]["compiled_bytes_equal_ordinary"] = compiled_answer == ordinary_answer
        for target in targets[3:]:
            answer = json.loads(
                http(target.port, "POST", "/graphql", bodies[target.name][size].read_bytes())
            )
            if "errors" in answer:
                raise SystemExit(f"{target.name} answered with errors: {answer['errors']}")
            checks[str(size)][f"{target.name}_nodes"] = len(answer["data"]["allUsers"]["nodes"])
    return checks


def run_workload(
    options: Options, targets: list[Target], bodies: dict[str, dict[int, Path]]
) -> tuple[Figures, Figures, Figures, Figures]:
    """The JSON checks, the warm-up, the main run, one connection and the page sizes."""
    step("check the answers")
    checks = check_answers(targets, bodies)

    def body(target: Target, size: int) -> Path:
        return bodies.get(target.name, bodies["admiral"])[size]

    if options.warmup > 0:
        step(f"warm up ({options.warmup} s each)")
        for t in targets:
            wrk(options, t, body(t, MAIN_PAGE), options.warmup, f"{t.name}-warmup")
    main: Figures = {}
    for t in targets:
        step(f"{t.name}: first {MAIN_PAGE}, {options.duration} s")
        main[t.name] = measure(options, t, body(t, MAIN_PAGE), options.duration, f"{t.name}-main")
    for name, other in (
        ("floor", "floor"),
        ("postgraphile", "postgraphile"),
        ("ordinary", "admiral_ordinary"),
    ):
        if other in main:
            main[f"admiral_over_{name}"] = {
                key: ratio(main["admiral"][key], main[other][key])
                for key in ("requests_per_s", "p50_ms", "p99_ms", "sql_statements_per_request")
            }
    single = replace(options, connections=1, threads=1)
    one: Figures = {}
    for t in targets:
        step(f"{t.name}: first {MAIN_PAGE}, one connection, {options.page_duration} s")
        one[t.name] = wrk(single, t, body(t, MAIN_PAGE), options.page_duration, f"{t.name}-c1")
    pages: Figures = {}
    paged = [t for t in targets if t.name != "admiral_ordinary"]
    for size in PAGE_SIZES:
        step(f"page size {size}, {options.page_duration} s each")
        pages[str(size)] = {
            t.name: measure(options, t, body(t, size), options.page_duration, f"{t.name}-{size}")
            for t in paged
        }
    return checks, main, one, pages


def goals(main: Figures, one: Figures, pages: Figures) -> Figures:
    """The issue's goals, each as its measured ratio and whether it was met."""
    found: Figures = {}
    rate = ratio(main["admiral"]["requests_per_s"], main["floor"]["requests_per_s"])
    found["compiled_rps_over_floor (>= 0.8)"] = [rate, rate is not None and rate >= 0.8]
    if "postgraphile" in main:
        over = ratio(main["admiral"]["requests_per_s"], main["postgraphile"]["requests_per_s"])
        found["compiled_rps_over_postgraphile (>= 1.1)"] = [over, over is not None and over >= 1.1]
    p50 = ratio(one["admiral"]["p50_ms"], one["floor"]["p50_ms"])
    found["compiled_p50_one_connection_over_floor (<= 1.5)"] = [p50, p50 is not None and p50 <= 1.5]
    largest, size = str(PAGE_SIZES[-1]), str(MAIN_PAGE)
    growth = ratio(pages[largest]["admiral"]["p50_ms"], pages[size]["admiral"]["p50_ms"])
    found[f"compiled_p50_page_{largest}_over_page_{size}"] = growth
    found["compiled_sql_statements_per_request"] = main["admiral"]["sql_statements_per_request"]
    return found


def main() -> None:
    options = Options.from_env()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: scripts/bench installs it (apt-get install wrk)")
    LOGS.mkdir(exist_ok=True)
    for old in LOGS.glob("*.log"):
        old.unlink()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="admiral-bench-") as temporary:
        directory = Path(temporary)
        database, env, key = prepare(options, directory)
        bodies: dict[str, dict[int, Path]] = {"admiral": {}, "postgraphile": {}}
        for size in PAGE_SIZES:
            bodies["admiral"][size] = directory / f"body-{size}.json"
            bodies["admiral"][size].write_text(json.dumps({"query": query(size)}))
            if (PGL_SERVE / "w1.graphql").exists():
                pgl_body = directory / f"body-pgl-{size}.json"
                pgl_body.write_text(json.dumps({"query": postgraphile_query(size)}))
                bodies["postgraphile"][size] = pgl_body
        with ExitStack() as servers:
            targets = start_servers(servers, env, key, database)
            checks, figures, one, pages = run_workload(options, targets, bodies)

    results: Figures = {
        "schema": "admiral-bench/1",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "workload": {
            "name": "W1",
            "query_file": str(QUERY_FILE.relative_to(ROOT)),
            "query": query(MAIN_PAGE),
            "users": USERS,
            "seed": SEED,
            "caller": "master key",
        },
        "engine": {"name": database.engine, "version": database.version},
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
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
            "page_duration_s": options.page_duration,
            "server_workers": 1,
        },
        "results": figures,
        "one_connection": one,
        "page_sizes": pages,
        "goals": goals(figures, one, pages),
        "same_json": checks,
        "notes": (
            "admiral: the compiled read path (ADMIRAL_READ_PATH=compiled); admiral_ordinary: "
            "field-by-field execution. Page sizes stop at 200: Admiral and the floor cap `first` "
            "there. The machine was shared with other work: see load_average_*."
        ),
    }
    options.results.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, options.results)


if __name__ == "__main__":
    main()
