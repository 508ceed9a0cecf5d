"""`schema.graphql` is generated from the code; it must not drift (docs/architecture.md: conventions)."""

from __future__ import annotations

import re
from pathlib import Path

from app.graphql.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    committed = SCHEMA_FILE.read_text()
    assert sdl() == committed, (
        "schema.graphql is stale: regenerate it with `.venv/bin/admiral export-schema > "
        "schema.graphql` and commit the result"
    )


def test_schema_shows_who_may_see_what() -> None:
    text = sdl()
    for field in ("lastSeenAt", "isStaff", "notesCount", "notes", "clientAddr", "prevHash", "hash"):
        assert re.search(rf"\n  {field}(\(.*\))?: [^\n]* @isMaster\n", text), field
    assert re.search(r"\n  masterKeys\(.*\): MasterKeyConnection @isMaster\n", text)
    assert re.search(r"\n  auditChainVerify: AuditChainVerification @isMaster\n", text)
    assert re.search(r"\n  users\(.*\): UserConnection! @isAuthenticated\n", text)
    assert re.search(
        r"\n  masterKeyCreate\(.*\): MasterKeyCreatePayload @notReadOnly @isMaster\n", text
    )
    # Fields carrying a permission can be refused, so they are nullable.
    for line in text.splitlines():
        if "@isMaster" in line and ":" in line and not line.startswith("directive"):
            assert not line.split(":")[-1].split("@")[0].strip().endswith("!"), line
