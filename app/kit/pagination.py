"""Keyset cursors and page arguments for Relay connections.

A cursor is base64url JSON of (list kind, sort value, id). The kind names the list and its
ordering, so a cursor taken from another list, or from the same list in another order, is refused
instead of silently returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from app.kit.errors import ErrorCode, RequestError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True, slots=True)
class Cursor:
    kind: str
    value: Any
    id: uuid.UUID


def encode_cursor(kind: str, value: Any, row_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([kind, value, row_id.hex])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, kind: str, value_type: type[Any] | None = None) -> Cursor:
    """The cursor in `text`, which must come from the list `kind`.

    `value_type` is the Python type of the ordering's values: a cursor carrying anything else
    (a forged one) is refused here rather than failing inside the SQL.
    """
    invalid = RequestError(
        "Invalid cursor: use a cursor returned by this same list.", ErrorCode.INVALID_CURSOR
    )
    try:
        padded = text + "=" * (-len(text) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        found_kind, value, row_hex = decoded
        row_id = uuid.UUID(hex=row_hex)
    except (ValueError, TypeError, AttributeError, binascii.Error, orjson.JSONDecodeError):
        raise invalid from None
    if found_kind != kind:
        raise RequestError(
            "This cursor belongs to another list or ordering.", ErrorCode.INVALID_CURSOR
        )
    if isinstance(value, dict) and set(value) == {"t"}:
        try:
            value = datetime.fromisoformat(value["t"])
        except (TypeError, ValueError):
            raise invalid from None
    if value_type is not None and not _is_sort_value(value, value_type):
        raise invalid
    return Cursor(found_kind, value, row_id)


def _is_sort_value(value: Any, value_type: type[Any]) -> bool:
    if isinstance(value, bool) or not isinstance(value, value_type):
        return False
    return not isinstance(value, datetime) or value.tzinfo is not None


def check_page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise RequestError(
            f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}.",
            ErrorCode.BAD_USER_INPUT,
        )
    return first


def check_search(text: str | None) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_SEARCH_LENGTH:
        raise RequestError(
            f"Search text is limited to {MAX_SEARCH_LENGTH} characters.",
            ErrorCode.BAD_USER_INPUT,
        )
    stripped = text.strip()
    return stripped or None
