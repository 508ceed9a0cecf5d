"""Time-ordered UUIDs and the opaque, prefixed ids the API shows (`usr_01j…`).

A public id is `<prefix>_<26 chars of Crockford base32>` of the UUID's 128 bits, the TypeID
layout: sortable, copy-paste friendly, and the prefix says what kind of object it names.
"""

from __future__ import annotations

import os
import time
import uuid

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_DECODE = {char: index for index, char in enumerate(_ALPHABET)}
_ENCODED_LENGTH = 26


class InvalidIdError(ValueError):
    """The text is not an id of the expected kind."""


def uuid7() -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((random_bits >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= random_bits & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def encode(prefix: str, value: uuid.UUID) -> str:
    number = value.int
    chars = []
    for _ in range(_ENCODED_LENGTH):
        chars.append(_ALPHABET[number & 31])
        number >>= 5
    return prefix + "_" + "".join(reversed(chars))


def decode(text: str, prefix: str | tuple[str, ...]) -> uuid.UUID:
    """The UUID behind `text`, which must carry one of the expected prefixes."""
    expected = (prefix,) if isinstance(prefix, str) else prefix
    head, sep, body = text.rpartition("_")
    if not sep or head not in expected:
        kinds = " or ".join(f"'{p}_…'" for p in expected)
        raise InvalidIdError(f"Expected an id like {kinds}, got {text[:40]!r}.")
    if len(body) != _ENCODED_LENGTH or body[0] > "7":
        raise InvalidIdError(f"Malformed id {text[:40]!r}.")
    number = 0
    try:
        for char in body:
            number = (number << 5) | _DECODE[char]
    except KeyError:
        raise InvalidIdError(f"Malformed id {text[:40]!r}.") from None
    return uuid.UUID(int=number)


def prefix_of(text: str) -> str:
    return text.rpartition("_")[0]
