"""Verification of a presented API key: the hot path of `POST /v1/keys/verify`.

One indexed read by the secret's hash (everything needed lives on the key's row, kept current
by the fan-out), then the in-memory or Redis counters; `lastUsedAt` goes to a buffer written
behind. The checks run in the order of the codes below, cheapest first, and the first that
fails answers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.db import Database, is_unavailable
from app.keys import tokens
from app.keys.lastused import BUFFER, LastUsed
from app.keys.ratelimit import Limiter, Window
from app.keys.repository import VERIFY_STATEMENT
from app.keys.scopes import VERIFY
from app.kit import clock
from app.kit.errors import ServiceUnavailable
from app.kit.ids import encode
from app.models.customers import Customer
from app.models.keys import ApiKey
from app.models.projects import Project


class VerifyCode(enum.StrEnum):
    VALID = "VALID"
    INVALID_FORMAT = "INVALID_FORMAT"  # wrong prefix, length, alphabet or checksum: no lookup
    NOT_FOUND = "NOT_FOUND"
    REVOKED = "REVOKED"  # revoked, or rotated and past its grace period
    EXPIRED = "EXPIRED"
    DISABLED = "DISABLED"  # its customer is deactivated
    RATE_LIMITED = "RATE_LIMITED"  # the customer's ratePerSecond is spent for this second
    USAGE_EXCEEDED = "USAGE_EXCEEDED"  # the month's metered usage passed monthlyQuota (app/usage)


@dataclass(frozen=True, slots=True)
class Verdict:
    code: VerifyCode
    row: Any = None
    window: Window | None = None
    scopes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.code is VerifyCode.VALID

    def as_json(self) -> dict[str, Any]:
        row = self.row
        ratelimit = None
        if self.window is not None:
            ratelimit = {
                "limit": self.window.limit,
                "remaining": self.window.remaining,
                "resetAt": self.window.reset_at.isoformat(),
            }
        return {
            "valid": self.valid,
            "code": self.code.value,
            "keyId": encode(ApiKey.PREFIX, row.id) if row is not None else None,
            "customerId": encode(Customer.PREFIX, row.customer_id) if row is not None else None,
            "projectId": (
                encode(Project.PREFIX, row.project_id)
                if row is not None and row.project_id is not None
                else None
            ),
            "plan": row.plan_code if row is not None else None,
            "scopes": list(row.scopes or []) if row is not None else [],
            "ratelimit": ratelimit,
        }


class Verifier:
    def __init__(self, db: Database, limiter: Limiter, buffer: LastUsed = BUFFER) -> None:
        self.db = db
        self.limiter = limiter
        self.buffer = buffer

    async def lookup(self, secret: str) -> Any:
        digest = {"h": tokens.secret_hash(secret)}
        for attempt in (1, 2):
            try:
                async with self.db.hot_read_engine.connect() as connection:
                    return (await connection.execute(VERIFY_STATEMENT, digest)).first()
            except Exception as error:
                if not is_unavailable(error):
                    raise
                if attempt == 2:
                    raise ServiceUnavailable(
                        "The database is unavailable; try again shortly."
                    ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    async def verify(self, secret: str, *, count: bool = True) -> Verdict:
        """`count=False` checks the key without spending its customer's limits (the verifier
        keys authenticating a request)."""
        if not tokens.well_formed(secret):
            return Verdict(VerifyCode.INVALID_FORMAT)
        row = await self.lookup(secret)
        if row is None:
            return Verdict(VerifyCode.NOT_FOUND)
        now = clock.now()
        code = _state(row, now)
        if code is not None or not count:
            return Verdict(code or VerifyCode.VALID, row)
        window = None
        if row.rate_per_second is not None:
            window = await self.limiter.rate(row.customer_id, row.rate_per_second)
            if not window.allowed:
                return Verdict(VerifyCode.RATE_LIMITED, row, window)
        if row.usage_exceeded_until is not None and now < row.usage_exceeded_until:
            return Verdict(VerifyCode.USAGE_EXCEEDED, row, window)
        self.buffer.note(row.id, now)
        return Verdict(VerifyCode.VALID, row, window)

    async def is_verifier_key(self, secret: str) -> bool:
        verdict = await self.verify(secret, count=False)
        return verdict.valid and VERIFY in (verdict.row.scopes or [])


def _state(row: Any, now: datetime) -> VerifyCode | None:
    if row.revoked_at is not None and row.revoked_at <= now:
        return VerifyCode.REVOKED
    if row.expires_at is not None and row.expires_at <= now:
        return VerifyCode.EXPIRED
    if not row.enabled:
        return VerifyCode.DISABLED
    return None
