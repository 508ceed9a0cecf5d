"""The shape of an API key secret: `ak_live_` or `ak_test_`, 32 random base62 characters, and a
6-character base62 CRC32 of everything before it (the layout of GitHub's tokens).

The prefix makes a leaked key recognisable to secret scanners; the checksum lets verification
refuse a mistyped or made-up key (INVALID_FORMAT) without touching the database.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import zlib
from dataclasses import dataclass

from app.models.keys import KeyEnvironment

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BODY_LENGTH = 32  # ~190 bits of randomness
CHECKSUM_LENGTH = 6  # 62**6 > 2**32: any CRC32 fits
START_LENGTH = 14  # `ak_live_` and 6 characters of the body: enough to tell keys apart
PREFIXES = {KeyEnvironment.LIVE: "ak_live_", KeyEnvironment.TEST: "ak_test_"}
_SHAPE = re.compile(rf"ak_(live|test)_[0-9A-Za-z]{{{BODY_LENGTH}}}[0-9A-Za-z]{{{CHECKSUM_LENGTH}}}")
MAX_LENGTH = len("ak_live_") + BODY_LENGTH + CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(text: str) -> str:
    return _base62(zlib.crc32(text.encode()), CHECKSUM_LENGTH)


@dataclass(frozen=True, slots=True)
class Issued:
    secret: str
    hash: str
    start: str


def issue(environment: KeyEnvironment) -> Issued:
    head = PREFIXES[environment] + "".join(secrets.choice(BASE62) for _ in range(BODY_LENGTH))
    secret = head + checksum(head)
    return Issued(secret=secret, hash=secret_hash(secret), start=secret[:START_LENGTH])


def well_formed(secret: str) -> bool:
    """The prefix, the alphabet, the length and the checksum all hold."""
    if len(secret) != MAX_LENGTH or _SHAPE.fullmatch(secret) is None:
        return False
    head, tail = secret[:-CHECKSUM_LENGTH], secret[-CHECKSUM_LENGTH:]
    return secrets.compare_digest(checksum(head), tail)


def secret_hash(secret: str) -> str:
    """SHA-256, unsalted and fast, on purpose: the secret carries ~190 random bits, so no
    dictionary or brute force applies and a slow password hash (argon2) would add nothing but
    latency to every verification; being deterministic, it is also what the unique index on
    `api_keys.key_hash` looks a key up by, in one indexed read."""
    return hashlib.sha256(secret.encode()).hexdigest()
