"""Idempotency keys: the same key with the same input returns the first result, once acted on.

Results are stored in the same transaction as the change they describe, so a result exists
exactly when its change was committed. Two requests racing with one key meet at the unique
constraint (owner, key): the loser's transaction fails and it replays the winner's result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.jsonutil import dumps, sha256_hex
from app.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def request_hash(operation: str, arguments: Any) -> str:
    return sha256_hex(dumps([operation, arguments]))


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise UserInputError(
            f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.",
            ErrorCode.INVALID,
            "idempotencyKey",
        )


async def stored_result(
    session: AsyncSession, owner: str, key: str, operation: str, digest: str
) -> dict[str, Any] | None:
    """The stored result for this key, None if there is none; refuses a reuse with other input."""
    row = await repository.find_idempotent(session, owner, key, clock.now())
    if row is None:
        return None
    if row.operation != operation or row.request_hash != digest:
        raise UserInputError(
            "This idempotency key was already used with a different input.",
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "idempotencyKey",
        )
    return dict(row.response)


async def store_result(
    session: AsyncSession,
    owner: str,
    key: str,
    operation: str,
    digest: str,
    response: dict[str, Any],
    ttl: timedelta,
) -> None:
    # An expired record with this key may still exist; it no longer counts.
    await repository.delete_expired_idempotency(session, owner, key)
    now = clock.now()
    await repository.insert_idempotent(
        session,
        IdempotencyRecord(
            owner=owner,
            key=key,
            operation=operation,
            request_hash=digest,
            response=response,
            created_at=now,
            expires_at=now + ttl,
        ),
    )
