"""The scopes an API key may carry (documented in the README). A scope names what a product
may do with the key; the products check them from the verification answer."""

from __future__ import annotations

VERIFY = "keys:verify"

SCOPES: dict[str, str] = {
    "usage:write": "Send usage events (POST /v1/usage).",
    "usage:read": "Read the customer's usage.",
    "licenses:validate": "Validate licenses and send heartbeats.",
    "projects:read": "Read the customer's projects.",
    VERIFY: "Verify API keys at POST /v1/keys/verify (a verifier key; only masters grant it).",
}

# Only a master may hand out these: a verifier key can verify every customer's keys.
MASTER_ONLY = frozenset({VERIFY})
