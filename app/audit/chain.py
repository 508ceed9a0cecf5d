"""The audit chain's hash: each event commits to its content and to the event before it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.kit.jsonutil import dumps, sha256_hex

GENESIS_HASH = "0" * 64

SECRET_MARKERS = ("password", "token", "secret", "key_hash", "private")
REDACTED = "[REDACTED]"


def is_secret_field(name: str) -> bool:
    lowered = name.lower()
    return lowered == "key" or any(marker in lowered for marker in SECRET_MARKERS)


def redact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: REDACTED if is_secret_field(name) else value for name, value in values.items()}


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, Any]:
    """{field: {"before": old, "after": new}} for the fields that changed, secrets redacted."""
    old = redact(before or {})
    new = redact(after or {})
    changed: dict[str, Any] = {}
    for name in dict.fromkeys([*old, *new]):
        if old.get(name) != new.get(name) or (is_secret_field(name) and name in new):
            changed[name] = {"before": old.get(name), "after": new.get(name)}
    return changed


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return sha256_hex(prev_hash.encode() + dumps(content))
