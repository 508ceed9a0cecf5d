"""`admiral serve` as it runs in production (and in the Docker image): a real uvicorn process.

Secrets an impersonating operator sends in a query string, a GET query's variables, an inline
argument or a WebSocket URL appear in no line the process writes, and in no row of the
database file; the one access log line per request is Admiral's own JSON line, with the
parameter names and the operation name kept and every other value replaced.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support import ADMIRAL, admiral_env

VARIABLE_SECRET = "varsecret-Lx93Qd"
QUERY_STRING_SECRET = "qs-secret-W8fRt2"
INLINE_SECRET = "invtok-Hq5Zm1"
SOCKET_SECRET = "ws-secret-Nv7Pk4"
SECRETS = (VARIABLE_SECRET, QUERY_STRING_SECRET, INLINE_SECRET, SOCKET_SECRET)

LOOKUP = "query Lookup($search: String) { users(filter: {search: $search}) { totalCount } }"
ACCEPT = f'mutation {{ invitationAccept(input: {{token: "{INLINE_SECRET}"}}) {{ userErrors {{ code }} }} }}'
FEEDBACK = {"kind": "IDEA", "message": "Dark mode please", "rating": 5}
STARTED = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 60
MASTER_KEY = re.compile(r"admk_[A-Za-z0-9]+")


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    stderr: str = ""

    def entries(self) -> list[dict[str, Any]]:
        """Every line written on stdout, each a JSON object."""
        return [json.loads(line) for line in self.lines if line.strip()]


@contextmanager
def serving(database: Path, level: str) -> Iterator[Served]:
    """Runs `admiral serve` on a free port until the block ends, collecting what it writes."""
    stderr_path = database.parent / "serve.stderr"
    with stderr_path.open("w") as stderr_file:
        process = subprocess.Popen(  # noqa: S603 - our own entry point, fixed arguments
            [ADMIRAL, "serve"],
            cwd=database.parent,
            env=admiral_env(database, host="127.0.0.1", port="0", log_level=level),
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            text=True,
        )
    assert process.stdout is not None
    stdout = process.stdout
    arrived: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        for line in stdout:
            arrived.put(line)
        arrived.put(None)

    reader = threading.Thread(target=drain, name="admiral-stdout", daemon=True)
    reader.start()
    lines: list[str] = []
    try:
        port = None
        while port is None:
            line = arrived.get(timeout=START_TIMEOUT)
            assert line is not None, f"admiral serve stopped: {''.join(lines)}"
            lines.append(line)
            started = STARTED.search(line)
            port = started.group(1) if started else None
        served = Served(f"http://127.0.0.1:{port}", process, lines)
        yield served
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=30)
        stdout.close()
    while (line := arrived.get_nowait()) is not None:
        lines.append(line)
    served.stderr = stderr_path.read_text()


def _impersonate(http: httpx.Client, master: str) -> str:
    auth = {"Authorization": f"Bearer {master}"}
    created = http.post(
        "/graphql",
        json={
            "query": 'mutation { userCreate(input: {email: "pat@example.com"}) '
            "{ user { id } userErrors { code } } }"
        },
        headers=auth,
    ).json()["data"]["userCreate"]
    assert created["userErrors"] == []
    issued = http.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { userImpersonate(input: {userId: $id, readOnly: false}) "
            "{ token userErrors { code } } }",
            "variables": {"id": created["user"]["id"]},
        },
        headers=auth,
    ).json()["data"]["userImpersonate"]
    assert issued["userErrors"] == []
    token: str = issued["token"]
    return token


def _stored_values(database: Path) -> dict[str, list[str]]:
    with sqlite3.connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            table: [
                repr(value)
                for row in connection.execute(f'SELECT * FROM "{table}"')
                for value in row
            ]
            for table in tables
        }


# DEBUG too: libraries below uvicorn log request headers at that level.
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_served_process_logs_and_stores_no_secret(tmp_path: Path, level: str) -> None:
    database = tmp_path / "admiral.db"
    # What the Docker image runs first: migrate and print a master key (no demo data here).
    setup = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [ADMIRAL, "setup"],
        env=admiral_env(database, seed="false"),
        check=True,
        capture_output=True,
        text=True,
    )
    master = MASTER_KEY.findall(setup.stderr)[0]

    with serving(database, level) as served, httpx.Client(base_url=served.url) as http:
        token = _impersonate(http, master)
        auth = {"Authorization": f"Bearer {token}"}
        lookup = http.get(
            "/graphql",
            params={
                "query": LOOKUP,
                "variables": json.dumps({"search": VARIABLE_SECRET}),
                "operationName": "Lookup",
            },
            headers=auth,
        )
        assert lookup.status_code == 200, lookup.text
        accepted = http.post("/graphql", json={"query": ACCEPT}, headers=auth)
        assert accepted.json()["data"]["invitationAccept"]["userErrors"] == [
            {"code": "TOKEN_INVALID"}
        ]
        feedback = http.post(
            f"/v1/feedback?apiToken={QUERY_STRING_SECRET}", json=FEEDBACK, headers=auth
        )
        assert feedback.status_code == 201, feedback.text
        ws_url = served.url.replace("http://", "ws://") + f"/graphql?token={SOCKET_SECRET}"
        # The GraphQL WebSocket accepts the handshake; its URL is logged without the secret.
        with connect(
            ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers=auth,
        ) as socket_:
            socket_.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(socket_.recv(timeout=10))["type"] == "connection_ack"

    written = "".join(served.lines) + served.stderr
    for secret in (*SECRETS, token, master):
        assert secret not in written, secret
    assert "Bearer" not in written
    entries = served.entries()
    assert not [entry for entry in entries if entry["logger"] == "uvicorn.access"]
    access = [entry for entry in entries if entry["logger"] == "app.access"]
    by_query = {(entry["method"], entry["path"], entry["query"]): entry for entry in access}
    get = by_query["GET", "/graphql", "query=***&variables=***&operationName=Lookup"]
    assert get["status"] == 200
    assert get["level"] == "INFO"
    assert get["request_id"] == lookup.headers["x-request-id"]
    assert by_query["POST", "/v1/feedback", "apiToken=***"]["status"] == 201
    assert by_query["WEBSOCKET", "/graphql", "token=***"]["status"] == 101
    assert by_query["POST", "/graphql", ""]["request_id"] == accepted.headers["x-request-id"]

    stored = _stored_values(database)
    assert any("impersonation.request" in value for value in stored["audit_events"])
    for table, values in stored.items():
        for secret in SECRETS:
            assert not [value for value in values if secret in value], (table, secret)
