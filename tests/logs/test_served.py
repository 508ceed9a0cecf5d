"""A real `admiral serve` process starts its log pipeline with the application and closes it
at shutdown: its lines are stored with their request; its /metrics wants the master key."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import httpx

from tests.security.test_served_logs import MASTER_KEY, serving
from tests.support import ADMIRAL, admiral_env


def test_a_served_process_stores_its_lines(tmp_path: Path) -> None:
    database = tmp_path / "admiral.db"
    setup = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [ADMIRAL, "setup"],
        env=admiral_env(database, seed="false"),
        check=True,
        capture_output=True,
        text=True,
    )
    master = MASTER_KEY.findall(setup.stderr)[0]
    with serving(database, "INFO") as served, httpx.Client(base_url=served.url) as http:
        auth = {"Authorization": f"Bearer {master}"}
        answered = http.post(
            "/graphql",
            json={"query": "query Served { me { scope } }"},
            headers={**auth, "X-Request-Id": "served-1"},
        )
        assert answered.status_code == 200
        assert http.get("/metrics").status_code == 401
        scraped = http.get("/metrics", headers=auth)
        assert scraped.status_code == 200
        assert re.search(
            r'admiral_requests_total\{kind="graphql",operation="Served",outcome="ok"\} 1\.0',
            scraped.text,
        )
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT logger, operation_name, principal_kind FROM logs WHERE request_id = ?",
            ("served-1",),
        ).fetchall()
    assert rows == [("app.access", "Served", "MASTER_KEY")]
