"""Secrets: random tokens, their hashes, and encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

from cryptography.fernet import Fernet

_BASE62 = string.digits + string.ascii_letters
DISPLAY_PREFIX_LENGTH = 12


def random_token(prefix: str, length: int = 40) -> str:
    """`prefix` + `length` base62 characters (about 6 bits each)."""
    return prefix + "".join(secrets.choice(_BASE62) for _ in range(length))


def token_hash(token: str) -> str:
    """What is stored for a bearer secret: tokens carry enough entropy for plain SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters kept so people can tell their secrets apart."""
    return token[:DISPLAY_PREFIX_LENGTH]


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"admiral-at-rest:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, plaintext: str) -> str:
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, ciphertext: str) -> str:
    return _fernet(secret_key).decrypt(ciphertext.encode()).decode()
