"""Time-ordered UUIDs and the opaque, prefixed ids the API shows (`usr_01j…`).

A public id is `<prefix>_<26 chars of Crockford base32>` of the UUID's 128 bits, the TypeID
layout: sortable, copy-paste friendly, and the prefix says what kind of object it names.
"""

from __future__ import annotations

import base64
import os
import threading
import time
import uuid
from functools import lru_cache

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = bytes.maketrans(_RFC4648.encode(), _ALPHABET.encode())
_FROM_CROCKFORD = bytes.maketrans(_ALPHABET.encode(), _RFC4648.encode())
_CROCKFORD_CHARS = frozenset(_ALPHABET)
_PAD = bytes(4)
_ENCODED_LENGTH = 26


class InvalidIdError(ValueError):
    """The text is not an id of the expected kind."""


def uuid7() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds, then 74 random bits.

    Monotonic within the process (RFC 9562, 6.2 method 2): an id made in the same millisecond
    as the previous one is the previous one plus one, so rows written in one unit of work
    read back in the order they were made (relations list oldest first by id)."""
    global _last_uuid7
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((random_bits >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= random_bits & ((1 << 62) - 1)
    with _uuid7_lock:
        if value <= _last_uuid7 and value >> 80 == _last_uuid7 >> 80:
            value = _next_in_millisecond(_last_uuid7)
        _last_uuid7 = value
    return uuid.UUID(int=value)


def _next_in_millisecond(previous: int) -> int:
    # Counts up through the 74 random bits, stepping over the variant bits; the version bits
    # and the timestamp stay put (2^74 ids per millisecond is never reached).
    low = (previous & ((1 << 62) - 1)) + 1
    high = (previous >> 64) & 0xFFF
    if low >> 62:
        low, high = 0, high + 1
    return (previous >> 76 << 76) | (high << 64) | (0b10 << 62) | low


_last_uuid7 = 0
_uuid7_lock = threading.Lock()


@lru_cache(maxsize=32_768)
def encode(prefix: str, value: uuid.UUID) -> str:
    # 4 zero bytes + 16 bytes = 160 bits = 32 base32 characters; the last 26 hold 2 zero bits
    # and the 128 of the UUID. Pages repeat the same customers and plans row after row, and
    # requests the same rows, hence the cache.
    body = base64.b32encode(_PAD + value.bytes)[6:].translate(_TO_CROCKFORD)
    return prefix + "_" + body.decode("ascii")


def decode(text: str, prefix: str | tuple[str, ...]) -> uuid.UUID:
    """The UUID behind `text`, which must carry one of the expected prefixes."""
    expected = (prefix,) if isinstance(prefix, str) else prefix
    head, sep, body = text.rpartition("_")
    if not sep or head not in expected:
        kinds = " or ".join(f"'{p}_…'" for p in expected)
        raise InvalidIdError(f"Expected an id like {kinds}, got {text[:40]!r}.")
    if len(body) != _ENCODED_LENGTH or body[0] > "7":
        raise InvalidIdError(f"Malformed id {text[:40]!r}.")
    if not _CROCKFORD_CHARS.issuperset(body):
        raise InvalidIdError(f"Malformed id {text[:40]!r}.")
    raw = base64.b32decode(b"AAAAAA" + body.encode("ascii").translate(_FROM_CROCKFORD))
    return uuid.UUID(bytes=raw[4:])


def prefix_of(text: str) -> str:
    return text.rpartition("_")[0]


def sqlite_public_id(prefix: str | None, value: str | None) -> str | None:
    """The SQLite function `admiral_id(prefix, uuid_hex)` (SQLite keeps UUIDs as 32 hex
    digits): the public id exactly as `encode` gives it, for SQL that builds JSON."""
    if prefix is None or value is None:
        return None
    return encode(prefix, uuid.UUID(hex=value))
