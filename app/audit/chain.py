"""The audit chain's hash: each event commits to its content and to the event before it.

The formula, which anyone may recompute from the stored rows without this code:

    hash = sha256(prev_hash.encode("ascii") + canonical_json(content)).hexdigest()

- `prev_hash` is the previous event's `hash` (in `seq` order), or `GENESIS_HASH` (64 zeros)
  for the first event: 64 lowercase hex characters, prepended as their ASCII bytes.
- `content` holds every stored column but `prev_hash` and `hash` themselves, as JSON values:
  `id` (the UUID as a hyphenated lowercase string), `seq` (an integer), `created_at` (the UTC
  time in `datetime.isoformat()`, e.g. "2024-05-06T07:08:09.123456+00:00"), `actor_type`,
  `actor_id`, `impersonator_id`, `action`, `target_type`, `target_id`, `customer_id` (the UUID
  string or null), `diff` (the stored object), `request_id`, `client_addr`; absent values
  are null (see `app.audit.service.hash_content`).
- `canonical_json` is UTF-8 JSON with keys sorted at every level, no whitespace and no
  escaping of non-ASCII characters: `json.dumps(content, sort_keys=True,
  separators=(",", ":"), ensure_ascii=False).encode()`.

`verify_chain` walks the events in `seq` order and reports the first whose `seq` is not the
next number, whose `prev_hash` is not its predecessor's `hash`, or whose `hash` does not match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.kit.jsonutil import dumps, sha256_hex

GENESIS_HASH = "0" * 64


def event_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    return sha256_hex(prev_hash.encode() + dumps(content))
