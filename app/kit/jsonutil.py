"""JSON used for hashing and storage: canonical, and aware of ids, times and enums."""

from __future__ import annotations

import enum
import hashlib
import uuid
from datetime import date, datetime
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Cannot serialize {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTC times in ISO 8601."""
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )


def to_jsonable(value: Any) -> Any:
    """`value` made of plain JSON types (what a JSON column stores)."""
    return orjson.loads(dumps(value))


def sha256_hex(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def jsonable_time(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None
