"""What a change looks like in the audit trail: the fields that changed, secrets redacted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
