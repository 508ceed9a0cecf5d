"""JSON used for hashing and storage (canonical, aware of ids, times and enums), and JSON read
from clients (bounded in depth, so no later recursive walk can exhaust the stack)."""

from __future__ import annotations

import enum
import hashlib
import uuid
from decimal import Decimal
from typing import Any

import orjson

from app.kit.validation import NUL, NUL_REFUSED


def _default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)  # exact, as written (`99.950`): never a float
    raise TypeError(f"Cannot serialize {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTC times in ISO 8601."""
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )


def to_jsonable(value: Any) -> Any:
    """`value` made of plain JSON types (what a JSON column stores)."""
    return orjson.loads(dumps(value))


class JSONInputError(ValueError):
    """JSON a client sent that is refused; the message says why."""


def nesting_exceeds(value: Any, limit: int) -> bool:
    """True when lists and objects nest deeper than `limit` (`[]` is 1 deep, `3` is 0).

    Walked with an explicit stack: a recursive walk is what such a document would break.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def contains_nul(value: Any) -> bool:
    """True when a string or key anywhere in `value` holds U+0000 (walked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            if any(NUL in key for key in item if isinstance(key, str)):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads_from_client(data: bytes | str, max_depth: int) -> Any:
    """`data` decoded, or a JSONInputError: not UTF-8, not JSON, nested past `max_depth`, or
    holding a NUL character (PostgreSQL cannot store it in text; SQLite would, so the engines
    would disagree)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if isinstance(data, bytes) and not _is_utf8(data):
            raise JSONInputError("The JSON is not valid UTF-8.") from None
        if "depth" in error.msg or "recursion" in error.msg.lower():
            raise JSONInputError(_too_deep(max_depth)) from None
        raise JSONInputError("The JSON is malformed.") from None
    if nesting_exceeds(value, max_depth):
        raise JSONInputError(_too_deep(max_depth))
    if contains_nul(value):
        raise JSONInputError(NUL_REFUSED)
    return value


def _too_deep(limit: int) -> str:
    return f"The JSON nests lists and objects deeper than {limit} levels."


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sha256_hex(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()
