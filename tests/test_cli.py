"""The `admiral` command, run as an operator runs it: a subprocess with ADMIRAL_* settings."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

from app import migrate
from tests.support import ADMIRAL, admiral_env


def admiral(
    database: Path, *args: str, check: bool = True, **settings: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [ADMIRAL, *args],
        cwd=database.parent,
        env=admiral_env(database, **settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def query(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute(sql))


def test_master_keys(tmp_path: Path) -> None:
    database = tmp_path / "admiral.db"
    admiral(database, "db", "upgrade")

    # create-master prints the key and nothing else on stdout.
    result = admiral(database, "keys", "create-master", "--name", "deploy bot")
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key.startswith("admk_")
    assert key == key.strip()
    assert len(key) > 40
    stored = query(database, "SELECT name, prefix, key_hash, revoked_at FROM master_keys")
    assert stored == [("deploy bot", key[:12], hashlib.sha256(key.encode()).hexdigest(), None)]
    # Audited as the CLI, secret redacted.
    [(actor_type, actor_id, action, diff)] = query(
        database, "SELECT actor_type, actor_id, action, diff FROM audit_events"
    )
    assert (actor_type, actor_id, action) == ("SYSTEM", "cli", "master_key.create")
    assert key not in str(diff)
    assert "[REDACTED]" in str(diff)

    # --if-none creates nothing once a key exists.
    skipped = admiral(database, "keys", "create-master", "--name", "never", "--if-none")
    assert skipped.stdout == ""
    assert "already exists" in skipped.stderr

    second = admiral(database, "keys", "create-master", "--name", "second").stdout.strip()
    assert second.startswith("admk_")
    assert second != key

    # The listing shows names and prefixes, never the secrets.
    listing = admiral(database, "keys", "list").stdout
    lines = listing.splitlines()
    assert len(lines) == 2
    for secret, name, line in ((key, "deploy bot", lines[0]), (second, "second", lines[1])):
        assert line.startswith("mky_")
        assert line.endswith(name)
        assert secret[:12] in line
        assert "active" in line
        assert "never" in line
        assert secret not in listing
        assert secret[12:] not in listing


def test_seed_is_deterministic(tmp_path: Path) -> None:
    files = []
    for n in range(2):
        path = tmp_path / f"seed{n}.db"
        migrate.upgrade(f"sqlite+aiosqlite:///{path}")
        result = admiral(path, "seed", "--users", "200", "--seed", "3")
        assert result.stdout == ""
        assert "Seeded 200 users, 20 customers" in result.stderr
        files.append(path)
    emails = [query(path, "SELECT email FROM users ORDER BY email") for path in files]
    slugs = [query(path, "SELECT slug FROM customers ORDER BY slug") for path in files]
    assert emails[0] == emails[1]
    assert slugs[0] == slugs[1]
    assert len(emails[0]) == 200
    assert len(slugs[0]) == 20  # about one customer per ten users
    owners = Counter(
        row[0]
        for row in query(files[0], "SELECT customer_id FROM memberships WHERE role = 'OWNER'")
    )
    customers = [row[0] for row in query(files[0], "SELECT id FROM customers")]
    assert all(owners[customer] >= 1 for customer in customers)

    # A database that has users is left alone.
    again = admiral(files[0], "seed", "--users", "20", "--seed", "2", check=False)
    assert again.returncode == 1
    assert "already has users" in again.stderr
    assert query(files[0], "SELECT count(*) FROM users") == [(200,)]


def test_setup_starts_empty_unless_seeding_is_asked_for(tmp_path: Path) -> None:
    empty = tmp_path / "empty" / "admiral.db"
    empty.parent.mkdir()
    first = admiral(empty, "setup")
    assert "Master key (shown once" in first.stderr
    assert "Seeded" not in first.stderr
    assert query(empty, "SELECT count(*) FROM users") == [(0,)]

    demo = tmp_path / "demo" / "admiral.db"
    demo.parent.mkdir()
    seeded = admiral(demo, "setup", seed="true")
    assert "Seeded demo data: 300 users" in seeded.stderr
    assert query(demo, "SELECT count(*) FROM users") == [(300,)]
    # The second start seeds nothing more and prints no second key.
    again = admiral(demo, "setup", seed="true")
    assert "Seeded" not in again.stderr
    assert "Master key (shown once" not in again.stderr
    assert query(demo, "SELECT count(*) FROM users") == [(300,)]


def test_help_is_plain_text(tmp_path: Path) -> None:
    for command in ([], ["seed"], ["keys", "create-master"], ["db", "upgrade"]):
        result = admiral(tmp_path / "unused.db", *command, "--help")
        assert "<bool>" not in result.stdout
        assert "Usage: admiral" in result.stdout
    assert "--users <int>" in admiral(tmp_path / "unused.db", "seed", "--help").stdout
