"""API keys' rules: create, update, revoke (idempotent), rotate with a grace period.

Secrets are shown once, by the mutation that issues them: only their SHA-256 and their first
characters (`start`) are stored, and neither audit events nor outbox events carry them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.customers.service.common import customer_in_scope, is_master
from app.keys import repository, tokens
from app.keys.fanout import customer_state
from app.keys.scopes import MASTER_ONLY, SCOPES
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models.customers import Customer
from app.models.keys import ApiKey, KeyEnvironment, KeyStatus
from app.models.projects import Project
from app.projects.repository import project_in_scope

MAX_NAME = 200
MAX_REASON = 500
MAX_SCOPES = 50
MAX_GRACE = timedelta(days=7)


def public_id(key: ApiKey) -> str:
    return encode(ApiKey.PREFIX, key.id)


def _view(key: ApiKey) -> dict[str, Any]:
    """The audited view of a key: never its secret nor its hash."""
    return {
        "name": key.name,
        "start": key.start,
        "environment": key.environment,
        "scopes": list(key.scopes),
        "projectId": encode(Project.PREFIX, key.project_id) if key.project_id else None,
        "expiresAt": key.expires_at,
        "revokedAt": key.revoked_at,
        "revokedReason": key.revoked_reason,
    }


def _event_data(key: ApiKey) -> dict[str, Any]:
    return {
        "keyId": public_id(key),
        "customerId": encode(Customer.PREFIX, key.customer_id),
        "projectId": encode(Project.PREFIX, key.project_id) if key.project_id else None,
        "name": key.name,
        "start": key.start,
        "environment": key.environment,
        "scopes": list(key.scopes),
    }


def _record(
    uow: UnitOfWork, action: str, key: ApiKey, before: dict[str, Any], after: dict[str, Any]
) -> None:
    uow.record(
        action, "ApiKey", public_id(key), before=before, after=after, customer_id=key.customer_id
    )


def checked_scopes(uow: UnitOfWork, scopes: list[str]) -> list[str]:
    """Known scopes only, each once, in the given order; masters alone grant `keys:verify`."""
    cleaned = list(dict.fromkeys(scope.strip() for scope in scopes))
    problems = []
    if len(cleaned) > MAX_SCOPES:
        problems.append(
            UserInputError(f"At most {MAX_SCOPES} scopes.", ErrorCode.TOO_LONG, "scopes")
        )
    unknown = [scope for scope in cleaned if scope not in SCOPES]
    if unknown:
        problems.append(
            UserInputError(
                f"Unknown scopes: {', '.join(unknown)[:200]}. Known: {', '.join(SCOPES)}.",
                ErrorCode.INVALID,
                "scopes",
            )
        )
    reserved = [scope for scope in cleaned if scope in MASTER_ONLY]
    if reserved and not is_master(uow):
        problems.append(
            UserInputError(
                f"Only a master admin may grant {', '.join(reserved)}.",
                ErrorCode.FORBIDDEN,
                "scopes",
            )
        )
    if problems:
        raise UserInputErrors(problems)
    return cleaned


def _checked_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is None:
        return None
    try:
        value = clock.as_utc(expires_at)
    except ValueError as error:
        raise UserInputError(str(error), ErrorCode.INVALID, "expiresAt") from None
    if value <= clock.now():
        raise UserInputError("The expiry must lie in the future.", ErrorCode.INVALID, "expiresAt")
    return value


async def _key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey:
    key = await repository.key_for_update(uow.session, key_id, uow.row_scope)
    if key is None:
        raise not_found("API key", "apiKeyId")
    return key


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    secret: str


async def create_key(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    project_id: uuid.UUID | None,
    name: str,
    scopes: list[str] | None,
    expires_at: datetime | None,
    environment: KeyEnvironment,
) -> IssuedKey:
    problems: list[UserInputError] = []
    values: dict[str, Any] = {}
    for field, check in (
        ("name", lambda: checked_text(name, "name", MAX_NAME)),
        ("scopes", lambda: checked_scopes(uow, scopes or [])),
        ("expires_at", lambda: _checked_expiry(expires_at)),
    ):
        try:
            values[field] = check()
        except UserInputErrors as error:
            problems.extend(error.errors)
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    customer = await customer_in_scope(uow, customer_id)
    if project_id is not None:
        project = await project_in_scope(uow.session, project_id, uow.row_scope)
        if project is None or project.customer_id != customer.id:
            raise not_found("Project", "projectId")
    state = await customer_state(uow, customer.id)
    issued = tokens.issue(environment)
    now = clock.now()
    key = ApiKey(
        customer_id=customer.id,
        project_id=project_id,
        name=values["name"],
        environment=environment,
        key_hash=issued.hash,
        start=issued.start,
        scopes=values["scopes"],
        created_by=uow.actor.id,
        created_at=now,
        updated_at=now,
        expires_at=values["expires_at"],
        **state,
    )
    uow.session.add(key)
    await uow.session.flush()
    _record(uow, "api_key.create", key, {}, _view(key))
    uow.publish("api_key.created", _event_data(key), customer_id=key.customer_id)
    return IssuedKey(key, issued.secret)


async def update_key(
    uow: UnitOfWork,
    *,
    key_id: uuid.UUID,
    name: str | None,
    scopes: list[str] | None,
    expires_at: datetime | None,
    clear_expiry: bool = False,
) -> ApiKey:
    problems: list[UserInputError] = []
    values: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = []
    if name is not None:
        checks.append(("name", lambda: checked_text(name, "name", MAX_NAME)))
    if scopes is not None:
        checks.append(("scopes", lambda: checked_scopes(uow, scopes)))
    if expires_at is not None:
        checks.append(("expires_at", lambda: _checked_expiry(expires_at)))
    for field, check in checks:
        try:
            values[field] = check()
        except UserInputErrors as error:
            problems.extend(error.errors)
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    key = await _key(uow, key_id)
    if repository.status_of(key, clock.now()) is KeyStatus.REVOKED:
        raise UserInputError("A revoked key cannot change.", ErrorCode.INVALID_STATE, "apiKeyId")
    before = _view(key)
    key.name = values.get("name", key.name)
    key.scopes = values.get("scopes", key.scopes)
    if clear_expiry:
        key.expires_at = None
    key.expires_at = values.get("expires_at", key.expires_at)
    after = _view(key)
    if after == before:
        return key
    key.updated_at = clock.now()
    await uow.session.flush()
    _record(uow, "api_key.update", key, before, after)
    return key


async def revoke_key(uow: UnitOfWork, *, key_id: uuid.UUID, reason: str | None) -> ApiKey:
    """Idempotent: a key already revoked comes back unchanged, with no second audit event. A
    key in a rotation's grace period is revoked now."""
    reason = checked_text(reason or "", "reason", MAX_REASON, required=False) or None
    key = await _key(uow, key_id)
    now = clock.now()
    if repository.status_of(key, now) is KeyStatus.REVOKED:
        return key
    before = _view(key)
    key.revoked_at = now
    key.revoked_reason = reason
    key.updated_at = now
    await uow.session.flush()
    _record(uow, "api_key.revoke", key, before, _view(key))
    data = _event_data(key) | {"reason": reason}
    uow.publish("api_key.revoked", data, customer_id=key.customer_id)
    return key


@dataclass(frozen=True, slots=True)
class Rotation:
    old: ApiKey
    new: ApiKey
    secret: str


async def rotate_key(uow: UnitOfWork, *, key_id: uuid.UUID, grace_period_seconds: int) -> Rotation:
    """A new key with the same owner, name, scopes and expiry; the old one keeps verifying
    until the grace period ends (0: it stops now)."""
    if not 0 <= grace_period_seconds <= MAX_GRACE.total_seconds():
        raise UserInputError(
            "The grace period lies between 0 and 604800 seconds (7 days).",
            ErrorCode.INVALID,
            "gracePeriodSeconds",
        )
    old = await _key(uow, key_id)
    now = clock.now()
    status = repository.status_of(old, now)
    if status is not KeyStatus.ACTIVE:
        raise UserInputError(
            f"Only an active key can be rotated; this one is {status.value.lower()}.",
            ErrorCode.INVALID_STATE,
            "apiKeyId",
        )
    if old.replaced_by_id is not None:
        raise UserInputError(
            "This key was already rotated; rotate its replacement instead.",
            ErrorCode.INVALID_STATE,
            "apiKeyId",
        )
    issued = tokens.issue(old.environment)
    new = ApiKey(
        customer_id=old.customer_id,
        project_id=old.project_id,
        name=old.name,
        environment=old.environment,
        key_hash=issued.hash,
        start=issued.start,
        scopes=list(old.scopes),
        created_by=uow.actor.id,
        created_at=now,
        updated_at=now,
        expires_at=old.expires_at,
        enabled=old.enabled,
        plan_code=old.plan_code,
        rate_per_second=old.rate_per_second,
        monthly_quota=old.monthly_quota,
    )
    uow.session.add(new)
    await uow.session.flush()
    before = _view(old) | {"replacedById": None}
    grace_ends = now + timedelta(seconds=grace_period_seconds)
    old.revoked_at = grace_ends
    old.revoked_reason = "rotated"
    old.replaced_by_id = new.id
    old.updated_at = now
    await uow.session.flush()
    _record(uow, "api_key.rotate", old, before, _view(old) | {"replacedById": public_id(new)})
    data = _event_data(old) | {"newKeyId": public_id(new), "graceEndsAt": grace_ends}
    uow.publish("api_key.rotated", data, customer_id=old.customer_id)
    return Rotation(old, new, issued.secret)
