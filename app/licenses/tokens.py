"""The signed token format of licenses, license files and revocation lists: a JWS in compact
serialization (RFC 7515) with `alg: EdDSA` (RFC 8037), Ed25519 keys published as OKP JWKs.

    base64url(header) "." base64url(payload) "." base64url(signature)

The header names the key (`kid`) and the kind (`typ`: `license`, `license-file`,
`revocations`); the signature covers the ASCII bytes of `header.payload`. JSON is written
compactly with sorted keys, so a token is the same for the same claims.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

LICENSE = "license"
LICENSE_FILE = "license-file"
REVOCATIONS = "revocations"
MAX_TOKEN = 8192


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def sign(private_key: Ed25519PrivateKey, kid: str, typ: str, payload: dict[str, Any]) -> str:
    header = b64encode(_json({"alg": "EdDSA", "kid": kid, "typ": typ}))
    body = b64encode(_json(payload))
    signing_input = f"{header}.{body}".encode()
    return f"{header}.{body}.{b64encode(private_key.sign(signing_input))}"


@dataclass(frozen=True, slots=True)
class Parsed:
    kid: str
    typ: str
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Parsed | None:
    """The parts of a well-formed token (signature unchecked), or None."""
    if len(token) > MAX_TOKEN or token.count(".") != 2:
        return None
    header_text, body_text, signature_text = token.split(".")
    try:
        header = json.loads(b64decode(header_text))
        payload = json.loads(b64decode(body_text))
        signature = b64decode(signature_text)
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    kid, typ = header.get("kid"), header.get("typ")
    if header.get("alg") != "EdDSA" or not isinstance(kid, str) or not isinstance(typ, str):
        return None
    return Parsed(kid, typ, payload, f"{header_text}.{body_text}".encode(), signature)


def verified(parsed: Parsed, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(parsed.signature, parsed.signing_input)
    except InvalidSignature:
        return False
    return True
