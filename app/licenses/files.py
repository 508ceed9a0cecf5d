"""Signed documents for machines that check offline: a license file and the revocation list.

Both are tokens of the license format (`app/licenses/tokens.py`) signed by the platform's
active key, carrying `iat` and `exp` (seconds since the epoch): past `exp` a client should
fetch a fresh one before trusting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Reader
from app.kit import clock
from app.kit.ids import encode
from app.licenses import repository, signing, tokens
from app.models.customers import Customer
from app.models.licenses import LICENSE_MACHINES, LICENSES, SIGNING_KEYS, License

MAX_FILE_TTL = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Signed:
    token: str
    issued_at: datetime
    expires_at: datetime
    payload: dict[str, Any]


async def _active_key(reader: Reader, project_id: Any) -> Any:
    """The project's own active key, else the platform's; None before any was made."""
    for owner in ([project_id] if project_id is not None else []) + [None]:
        where = (
            SIGNING_KEYS.c.project_id.is_(None)
            if owner is None
            else SIGNING_KEYS.c.project_id == owner
        )
        rows = await reader.all(
            sa.select(SIGNING_KEYS)
            .where(where, SIGNING_KEYS.c.retires_at.is_(None))
            .order_by(SIGNING_KEYS.c.created_at.desc())
            .limit(1)
        )
        if rows:
            return rows[0]
    return None


async def _sign(
    reader: Reader,
    project_id: Any,
    typ: str,
    claims: dict[str, Any],
    ttl: timedelta,
    secret_key: str,
) -> Signed | None:
    key = await _active_key(reader, project_id)
    if key is None:
        return None
    now = clock.now().replace(microsecond=0)
    expires = now + ttl
    payload = claims | {"iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    payload["kid"] = key.kid
    token = tokens.sign(signing.private_key_of(key, secret_key), key.kid, typ, payload)
    return Signed(token, now, expires, payload)


async def license_file(
    reader: Reader, license: Any, ttl: timedelta, secret_key: str
) -> Signed | None:
    """A license's state as of now, signed: status, entitlements, seats, expiry, and the
    machines alive (an air-gapped machine checks its own fingerprint against them)."""
    now = clock.now()
    machines = await reader.all(
        sa.select(LICENSE_MACHINES.c.fingerprint)
        .where(LICENSE_MACHINES.c.license_id == license.id, repository.machine_alive())
        .order_by(LICENSE_MACHINES.c.activated_at)
    )
    claims = {
        "lid": encode(License.PREFIX, license.id),
        "sub": encode(Customer.PREFIX, license.customer_id),
        "status": repository.status_of(license, now).value,
        "ent": list(license.entitlements or []),
        "max": license.max_machines,
        "licenseExp": int(license.expires_at.timestamp()) if license.expires_at else None,
        "machines": [row.fingerprint for row in machines],
    }
    return await _sign(reader, license.project_id, tokens.LICENSE_FILE, claims, ttl, secret_key)


async def license_row(reader: Reader, license_id: Any, scope: Any) -> Any:
    statement = sa.select(LICENSES).where(
        LICENSES.c.id == license_id, *repository.LICENSE_MODEL.conditions(scope)
    )
    rows = await reader.all(statement)
    return rows[0] if rows else None


async def revocations(reader: Reader, ttl: timedelta, secret_key: str) -> Signed | None:
    """Every revoked license with when it was revoked."""
    rows = await reader.all(
        sa.select(LICENSES.c.id, LICENSES.c.revoked_at)
        .where(LICENSES.c.revoked_at.isnot(None))
        .order_by(LICENSES.c.revoked_at, LICENSES.c.id)
    )
    revoked = [
        {"id": encode(License.PREFIX, row.id), "revokedAt": int(row.revoked_at.timestamp())}
        for row in rows
    ]
    return await _sign(reader, None, tokens.REVOCATIONS, {"revoked": revoked}, ttl, secret_key)
