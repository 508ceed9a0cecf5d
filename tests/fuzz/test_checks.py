"""The fuzzing check judges answers as the API promises them (no server run needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.checks import admiral_no_server_error
from tests.fuzz.run import logged_errors


@dataclass
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def check(status: int, body: Any) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    admiral_no_server_error(None, Answer(status, text), None)


def error(code: str | None, message: str = "Bad cursor.") -> dict[str, Any]:
    extensions = {"requestId": "r1"} if code is None else {"code": code, "requestId": "r1"}
    return {"message": message, "path": ["users"], "extensions": extensions}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"errors": [error("INTERNAL_SERVER_ERROR")]}),
        (502, "<html>Bad gateway</html>"),
        (200, "not json"),
        (200, {"data": {"users": None}, "errors": [error("INTERNAL_SERVER_ERROR")]}),
        (200, {"data": {"users": None}, "errors": [error("INTERNAL")]}),
        (200, {"data": None, "errors": [error("FORBIDDEN"), error(None)]}),
        (200, {"data": {"users": None}, "errors": [error("X", "Internal server error")]}),
    ],
    ids=["500", "502", "not-json", "masked", "internal", "no-code", "masked-message"],
)
def test_server_errors_fail_the_run(status: int, body: Any) -> None:
    with pytest.raises(AssertionError):
        check(status, body)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"data": {"users": {"totalCount": 3}}}),
        (200, {"data": {"users": None}, "errors": [error("INVALID_CURSOR")]}),
        (400, {"errors": [error("BAD_REQUEST")]}),
        (401, {"errors": [error("UNAUTHENTICATED")]}),
        (413, {"errors": [error("PAYLOAD_TOO_LARGE")]}),
    ],
    ids=["data", "coded-refusal", "400", "401", "413"],
)
def test_coded_refusals_pass(status: int, body: Any) -> None:
    check(status, body)


def test_logged_errors_leave_out_the_entries_log_test_was_asked_for(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "\n".join(
            [
                json.dumps({"level": "ERROR", "logger": "app.logs.test", "message": "asked"}),
                json.dumps({"level": "ERROR", "logger": "app.errors", "message": "boom"}),
                json.dumps({"level": "INFO", "logger": "app.access", "message": "POST"}),
                "Traceback (most recent call last):",
            ]
        )
    )
    assert logged_errors(log) == ["app.errors: boom", "Traceback (most recent call last):"]
