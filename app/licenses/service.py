"""License rules: issue, update, suspend and reinstate, revoke, reissue, machine deactivation.

A license's key is a signed token (`app/licenses/tokens.py`) shown once, by the mutation that
issues it: only its SHA-256 and its last characters are stored, and neither audit nor outbox
events carry it. A reissue gives a new key and replaces the stored hash, so the old key is
unknown (NOT_FOUND) at once; the license, its id and its machines stay.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.customers.service.common import customer_in_scope
from app.kit import clock
from app.kit.crypto import token_hash
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.licenses import repository, signing, tokens
from app.models.customers import Customer
from app.models.licenses import (
    ActivationEvent,
    License,
    LicenseActivation,
    LicenseMachine,
    LicenseStatus,
    SigningKey,
)
from app.models.projects import Project
from app.projects.repository import project_in_scope

MAX_ENTITLEMENTS = 100
MAX_ENTITLEMENT = 100
MAX_MACHINES = 100_000
MAX_METADATA_BYTES = 4096
MAX_REASON = 500
MAX_PLAN_CODE = 64
KEY_HINT = 10


def public_id(license: License) -> str:
    return encode(License.PREFIX, license.id)


def view(license: License) -> dict[str, Any]:
    """The audited view of a license: never its key nor its key's hash."""
    return {
        "keyHint": license.key_hint,
        "planCode": license.plan_code,
        "entitlements": list(license.entitlements),
        "maxMachines": license.max_machines,
        "metadata": dict(license.license_metadata),
        "expiresAt": license.expires_at,
        "suspendedAt": license.suspended_at,
        "billingSuspendedAt": license.billing_suspended_at,
        "revokedAt": license.revoked_at,
        "revokedReason": license.revoked_reason,
    }


def event_data(license: License) -> dict[str, Any]:
    return {
        "licenseId": public_id(license),
        "customerId": encode(Customer.PREFIX, license.customer_id),
        "status": repository.status_of(license, clock.now()).value,
        "entitlements": list(license.entitlements),
        "maxMachines": license.max_machines,
        "expiresAt": license.expires_at,
    }


def record(
    uow: UnitOfWork, action: str, license: License, before: dict[str, Any], **kwargs: Any
) -> None:
    uow.record(
        action,
        "License",
        public_id(license),
        before=before,
        after=view(license),
        customer_id=license.customer_id,
        **kwargs,
    )


# ---------------------------------------------------------------- checks


def _entitlements(values: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(value.strip() for value in values))
    if len(cleaned) > MAX_ENTITLEMENTS:
        raise UserInputError(
            f"At most {MAX_ENTITLEMENTS} entitlements.", ErrorCode.TOO_LONG, "entitlements"
        )
    if any(not value for value in cleaned):
        raise UserInputError("An entitlement cannot be blank.", ErrorCode.INVALID, "entitlements")
    if any(len(value) > MAX_ENTITLEMENT for value in cleaned):
        raise UserInputError(
            f"An entitlement has at most {MAX_ENTITLEMENT} characters.",
            ErrorCode.TOO_LONG,
            "entitlements",
        )
    return cleaned


def _max_machines(value: int) -> int:
    if not 0 <= value <= MAX_MACHINES:
        raise UserInputError(
            f"maxMachines lies between 0 (not bound to machines) and {MAX_MACHINES}.",
            ErrorCode.INVALID,
            "maxMachines",
        )
    return value


def _expiry(value: datetime) -> datetime:
    try:
        moment = clock.as_utc(value)
    except ValueError as error:
        raise UserInputError(str(error), ErrorCode.INVALID, "expiresAt") from None
    if moment <= clock.now():
        raise UserInputError("The expiry must lie in the future.", ErrorCode.INVALID, "expiresAt")
    return moment


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UserInputError("metadata must be a JSON object.", ErrorCode.INVALID, "metadata")
    if len(json.dumps(value)) > MAX_METADATA_BYTES:
        raise UserInputError(
            f"metadata holds at most {MAX_METADATA_BYTES} bytes of JSON.",
            ErrorCode.TOO_LONG,
            "metadata",
        )
    return value


def _plan_code(value: str) -> str:
    return checked_text(value, "planCode", MAX_PLAN_CODE)


def _checked(checks: list[tuple[str, Any]]) -> dict[str, Any]:
    """Every check run, every problem reported together."""
    values: dict[str, Any] = {}
    problems: list[UserInputError] = []
    for name, check in checks:
        try:
            values[name] = check()
        except UserInputErrors as error:
            problems.extend(error.errors)
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


async def _license(uow: UnitOfWork, license_id: uuid.UUID) -> License:
    found = await repository.license_for_update(uow.session, license_id, uow.row_scope)
    if found is None:
        raise not_found("License", "licenseId")
    return found


def _not_revoked(license: License) -> None:
    if license.revoked_at is not None:
        raise UserInputError(
            "This license is revoked: it cannot change.", ErrorCode.LICENSE_REVOKED, "licenseId"
        )


# ---------------------------------------------------------------- keys


def claims(license: License, kid: str) -> dict[str, Any]:
    """What a license key says, for a client verifying it offline (README: license keys)."""
    return {
        "lid": public_id(license),
        "sub": encode(Customer.PREFIX, license.customer_id),
        "ent": list(license.entitlements),
        "max": license.max_machines,
        "exp": int(license.expires_at.timestamp()) if license.expires_at else None,
        "iat": int(license.issued_at.timestamp()),
        "kid": kid,
        "jti": secrets.token_urlsafe(9),  # two keys of one license never look alike
    }


async def _sign_key(uow: UnitOfWork, license: License, secret_key: str) -> str:
    key = await signing.active_key(uow, license.project_id, secret_key)
    license.signing_key_id = key.id
    token = tokens.sign(
        signing.private_key_of(key, secret_key), key.kid, tokens.LICENSE, claims(license, key.kid)
    )
    license.key_hash = token_hash(token)
    license.key_hint = token[-KEY_HINT:]
    return token


@dataclass(frozen=True, slots=True)
class Issued:
    license: License
    key: str


async def issue(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    project_id: uuid.UUID | None,
    plan_code: str | None,
    entitlements: list[str],
    max_machines: int,
    expires_at: datetime | None,
    metadata: Any,
    secret_key: str,
) -> Issued:
    checks: list[tuple[str, Any]] = [
        ("entitlements", lambda: _entitlements(entitlements)),
        ("max_machines", lambda: _max_machines(max_machines)),
    ]
    if plan_code is not None:
        checks.append(("plan_code", lambda: _plan_code(plan_code)))
    if expires_at is not None:
        checks.append(("expires_at", lambda: _expiry(expires_at)))
    if metadata is not None:
        checks.append(("metadata", lambda: _metadata(metadata)))
    values = _checked(checks)
    customer = await customer_in_scope(uow, customer_id)
    if project_id is not None:
        project = await project_in_scope(uow.session, project_id, uow.row_scope)
        if project is None or project.customer_id != customer.id:
            raise not_found("Project", "projectId")
    now = clock.now()
    license = License(
        customer_id=customer.id,
        project_id=project_id,
        plan_code=values.get("plan_code"),
        entitlements=values["entitlements"],
        max_machines=values["max_machines"],
        license_metadata=values.get("metadata") or {},
        expires_at=values.get("expires_at"),
        issued_at=now,
        created_at=now,
        updated_at=now,
        key_hash="",
        key_hint="",
    )
    # A customer whose billing holds its licenses gets new ones held too.
    from app.licenses.billing import customer_held

    if await customer_held(uow.session, customer.id):
        license.billing_suspended_at = now
    token = await _sign_key(uow, license, secret_key)
    uow.session.add(license)
    await uow.session.flush()
    record(uow, "license.issue", license, {})
    uow.publish("license.issued", event_data(license), customer_id=license.customer_id)
    return Issued(license, token)


async def update(
    uow: UnitOfWork,
    *,
    license_id: uuid.UUID,
    expires_at: datetime | None,
    clear_expiry: bool,
    max_machines: int | None,
    entitlements: list[str] | None,
    metadata: Any,
) -> License:
    """What validation answers follows at once; a key already given keeps the claims it was
    signed with (reissue it, or hand out a license file, for offline checks to follow)."""
    checks: list[tuple[str, Any]] = []
    if expires_at is not None:
        checks.append(("expires_at", lambda: _expiry(expires_at)))
    if max_machines is not None:
        checks.append(("max_machines", lambda: _max_machines(max_machines)))
    if entitlements is not None:
        checks.append(("entitlements", lambda: _entitlements(entitlements)))
    if metadata is not None:
        checks.append(("metadata", lambda: _metadata(metadata)))
    values = _checked(checks)
    license = await _license(uow, license_id)
    _not_revoked(license)
    before = view(license)
    if clear_expiry:
        license.expires_at = None
    license.expires_at = values.get("expires_at", license.expires_at)
    license.max_machines = values.get("max_machines", license.max_machines)
    license.entitlements = values.get("entitlements", license.entitlements)
    license.license_metadata = values.get("metadata", license.license_metadata)
    if view(license) == before:
        return license
    license.updated_at = clock.now()
    await uow.session.flush()
    record(uow, "license.update", license, before)
    uow.publish("license.updated", event_data(license), customer_id=license.customer_id)
    return license


async def suspend(uow: UnitOfWork, *, license_id: uuid.UUID) -> License:
    license = await _license(uow, license_id)
    _not_revoked(license)
    if license.suspended_at is not None:
        raise UserInputError(
            "This license is already suspended.", ErrorCode.INVALID_STATE, "licenseId"
        )
    before = view(license)
    license.suspended_at = license.updated_at = clock.now()
    await uow.session.flush()
    record(uow, "license.suspend", license, before)
    uow.publish("license.suspended", event_data(license), customer_id=license.customer_id)
    return license


async def reinstate(uow: UnitOfWork, *, license_id: uuid.UUID) -> License:
    """Lifts an operator's suspension; one by billing lasts until the customer pays."""
    license = await _license(uow, license_id)
    _not_revoked(license)
    if license.suspended_at is None:
        message = (
            "This license is held by billing: it is reinstated when the customer pays."
            if license.billing_suspended_at is not None
            else "This license is not suspended."
        )
        raise UserInputError(message, ErrorCode.INVALID_STATE, "licenseId")
    before = view(license)
    license.suspended_at = None
    license.updated_at = clock.now()
    await uow.session.flush()
    record(uow, "license.reinstate", license, before)
    uow.publish("license.reinstated", event_data(license), customer_id=license.customer_id)
    return license


async def revoke(uow: UnitOfWork, *, license_id: uuid.UUID, reason: str) -> License:
    """Final; effective at the next validation or heartbeat, and listed in the signed
    revocation list for machines that check offline."""
    text = checked_text(reason, "reason", MAX_REASON)
    license = await _license(uow, license_id)
    _not_revoked(license)
    before = view(license)
    license.revoked_at = license.updated_at = clock.now()
    license.revoked_reason = text
    await uow.session.flush()
    record(uow, "license.revoke", license, before)
    data = event_data(license) | {"reason": text}
    uow.publish("license.revoked", data, customer_id=license.customer_id)
    return license


def _key_view(license: License) -> dict[str, Any]:
    return view(license) | {
        "issuedAt": license.issued_at,
        "signingKeyId": encode(SigningKey.PREFIX, license.signing_key_id),
    }


async def reissue(uow: UnitOfWork, *, license_id: uuid.UUID, secret_key: str) -> Issued:
    license = await _license(uow, license_id)
    _not_revoked(license)
    before = _key_view(license)
    license.issued_at = license.updated_at = clock.now()
    token = await _sign_key(uow, license, secret_key)
    await uow.session.flush()
    uow.record(
        "license.reissue",
        "License",
        public_id(license),
        before=before,
        after=_key_view(license),
        customer_id=license.customer_id,
    )
    uow.publish("license.reissued", event_data(license), customer_id=license.customer_id)
    return Issued(license, token)


async def deactivate_machine(uow: UnitOfWork, *, machine_id: uuid.UUID) -> LicenseMachine:
    machine = await uow.session.get(LicenseMachine, machine_id, with_for_update=True)
    license = (
        await repository.license_for_update(uow.session, machine.license_id, uow.row_scope)
        if machine is not None
        else None
    )
    if machine is None or license is None:
        raise not_found("Machine", "machineId")
    if machine.deactivated_at is not None:
        raise UserInputError(
            "This machine is already deactivated.", ErrorCode.INVALID_STATE, "machineId"
        )
    now = clock.now()
    machine.deactivated_at = now
    uow.session.add(
        LicenseActivation(
            license_id=license.id,
            fingerprint=machine.fingerprint,
            hostname=machine.hostname,
            event=ActivationEvent.DEACTIVATED,
            reason="deactivated by an operator",
            created_at=now,
        )
    )
    await uow.session.flush()
    uow.record(
        "license.machine_deactivate",
        "License",
        public_id(license),
        before={"fingerprint": machine.fingerprint, "deactivatedAt": None},
        after={"fingerprint": machine.fingerprint, "deactivatedAt": now},
        customer_id=license.customer_id,
    )
    return machine


def is_usable(status: LicenseStatus) -> bool:
    return status in (LicenseStatus.ACTIVE, LicenseStatus.EXPIRING)


def project_public_id(license: License) -> str | None:
    return encode(Project.PREFIX, license.project_id) if license.project_id else None
