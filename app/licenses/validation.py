"""Validation and heartbeats of presented license keys: the hot path of the licensed product.

`validate` is one Ed25519 verification (public keys held in memory by the `KeyRing`) and one
indexed read by the key's hash, whose row carries the machine counts as subqueries. The checks
run in the order of the codes below, and the first that fails answers.
`heartbeat` also activates the machine while seats remain, in a unit of work of its own that
locks the license row (two machines racing for the last seat queue on it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.db import Database, is_unavailable
from app.kit import clock
from app.kit.actor import Actor
from app.kit.crypto import token_hash
from app.kit.errors import ServiceUnavailable
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.licenses import repository, tokens
from app.licenses.signing import KeyRing
from app.models.base import UTCDateTime
from app.models.customers import Customer
from app.models.licenses import (
    LICENSE_MACHINES,
    LICENSES,
    ActivationEvent,
    License,
    LicenseActivation,
    LicenseMachine,
    LicenseStatus,
)
from app.runtime_settings import values as runtime_values

MAX_FINGERPRINT = 255
MAX_HOSTNAME = 255
MAX_PLATFORM = 100
HEARTBEAT_ACTOR = Actor.system("license-heartbeat")


class ValidationCode(enum.StrEnum):
    VALID = "VALID"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"  # malformed, forged, or signed by an unknown key
    NOT_FOUND = "NOT_FOUND"  # well signed but unknown: never issued, or replaced by a reissue
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"  # by an operator, or by billing
    EXPIRED = "EXPIRED"
    FINGERPRINT_REQUIRED = "FINGERPRINT_REQUIRED"  # bound to machines, and none was named
    TOO_MANY_MACHINES = "TOO_MANY_MACHINES"  # a new machine, and every seat is taken


_STATUS_CODES = {
    LicenseStatus.REVOKED: ValidationCode.REVOKED,
    LicenseStatus.SUSPENDED: ValidationCode.SUSPENDED,
    LicenseStatus.EXPIRED: ValidationCode.EXPIRED,
}

_now = sa.bindparam("now", type_=UTCDateTime())
_alive = sa.and_(
    LICENSE_MACHINES.c.license_id == LICENSES.c.id,
    LICENSE_MACHINES.c.deactivated_at.is_(None),
    LICENSE_MACHINES.c.heartbeat_due_at > _now,
)
# The one read of a validation: the license by its key's hash, how many machines are alive,
# and whether the presented fingerprint is one of them.
VALIDATE_STATEMENT = sa.select(
    *repository.VALIDATE_COLUMNS,
    sa.select(sa.func.count())
    .where(_alive)
    .correlate(LICENSES)
    .scalar_subquery()
    .label("alive_machines"),
    sa.exists()
    .where(_alive, LICENSE_MACHINES.c.fingerprint == sa.bindparam("fingerprint"))
    .correlate(LICENSES)
    .label("known_machine"),
).where(LICENSES.c.key_hash == sa.bindparam("h"))


@dataclass(frozen=True, slots=True)
class Verdict:
    code: ValidationCode
    row: Any = None
    machine: LicenseMachine | None = None
    window: timedelta | None = None

    @property
    def valid(self) -> bool:
        return self.code is ValidationCode.VALID

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"valid": self.valid, "code": self.code.value, "license": None}
        row = self.row
        if row is not None:
            answer["license"] = {
                "id": encode(License.PREFIX, row.id),
                "customerId": encode(Customer.PREFIX, row.customer_id),
                "status": repository.status_of(row, clock.now()).value,
                "entitlements": list(row.entitlements or []),
                "maxMachines": row.max_machines,
                "expiresAt": row.expires_at.isoformat() if row.expires_at else None,
            }
        if self.machine is not None:
            machine = self.machine
            answer["machine"] = {
                "id": encode(LicenseMachine.PREFIX, machine.id),
                "fingerprint": machine.fingerprint,
                "activatedAt": machine.activated_at.isoformat(),
                "lastHeartbeatAt": machine.last_heartbeat_at.isoformat(),
                "nextHeartbeatBefore": machine.heartbeat_due_at.isoformat(),
            }
        if self.window is not None:
            answer["heartbeatWindowSeconds"] = int(self.window.total_seconds())
        return answer


def _clean(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()[:limit]
    return text or None


class Validator:
    def __init__(
        self, db: Database, ring: KeyRing, heartbeat_window: timedelta | None = None
    ) -> None:
        self.db = db
        self.ring = ring
        # None: the runtime setting licenseHeartbeatWindowMinutes (default: the environment's),
        # read at each heartbeat through its cache.
        self.window = heartbeat_window

    async def signature_ok(self, key: str, now: datetime) -> bool:
        parsed = tokens.parse(key)
        if parsed is None or parsed.typ != tokens.LICENSE:
            return False
        published = await self.ring.get(parsed.kid)
        if published is None or not published.usable(now):
            return False
        return tokens.verified(parsed, published.public_key)

    async def _lookup(self, key: str, fingerprint: str | None, now: datetime) -> Any:
        values = {"h": token_hash(key), "fingerprint": fingerprint or "", "now": now}
        for attempt in (1, 2):
            try:
                async with self.db.hot_read_engine.connect() as connection:
                    return (await connection.execute(VALIDATE_STATEMENT, values)).first()
            except Exception as error:
                if not is_unavailable(error):
                    raise
                if attempt == 2:
                    raise ServiceUnavailable(
                        "The database is unavailable; try again shortly."
                    ) from error
        raise AssertionError("unreachable")  # pragma: no cover

    async def validate(self, key: str, fingerprint: str | None) -> Verdict:
        now = clock.now()
        fingerprint = _clean(fingerprint, MAX_FINGERPRINT)
        if not await self.signature_ok(key, now):
            return Verdict(ValidationCode.INVALID_SIGNATURE)
        row = await self._lookup(key, fingerprint, now)
        if row is None:
            return Verdict(ValidationCode.NOT_FOUND)
        code = _STATUS_CODES.get(repository.status_of(row, now))
        if code is not None:
            return Verdict(code, row)
        if row.max_machines > 0:
            if fingerprint is None:
                return Verdict(ValidationCode.FINGERPRINT_REQUIRED, row)
            if not row.known_machine and row.alive_machines >= row.max_machines:
                return Verdict(ValidationCode.TOO_MANY_MACHINES, row)
        return Verdict(ValidationCode.VALID, row)

    async def heartbeat(
        self, key: str, fingerprint: str | None, hostname: str | None, platform: str | None
    ) -> Verdict:
        """A machine says it is alive: activated while seats remain, counted for the window."""
        now = clock.now()
        fingerprint = _clean(fingerprint, MAX_FINGERPRINT)
        if not await self.signature_ok(key, now):
            return Verdict(ValidationCode.INVALID_SIGNATURE)

        async def beat(uow: UnitOfWork) -> Verdict:
            statement = (
                sa.select(License).where(LICENSES.c.key_hash == token_hash(key)).with_for_update()
            )
            license = (await uow.session.execute(statement)).scalar_one_or_none()
            if license is None:
                return Verdict(ValidationCode.NOT_FOUND)
            code = _STATUS_CODES.get(repository.status_of(license, now))
            if code is not None:
                return Verdict(code, license)
            if fingerprint is None:
                return Verdict(ValidationCode.FINGERPRINT_REQUIRED, license)
            return await _beat(uow, license, fingerprint, hostname, platform, now, window)

        window = self.window or await runtime_values.heartbeat_window(self.db)

        return await self.db.run(beat, actor=HEARTBEAT_ACTOR, row_scope=EVERYTHING)


async def _beat(
    uow: UnitOfWork,
    license: License,
    fingerprint: str,
    hostname: str | None,
    platform: str | None,
    now: datetime,
    window: timedelta,
) -> Verdict:
    machines = await repository.machines_of(uow.session, license.id)
    machine = next((m for m in machines if m.fingerprint == fingerprint), None)

    def alive(m: LicenseMachine) -> bool:
        return m.deactivated_at is None and m.heartbeat_due_at > now

    hostname = _clean(hostname, MAX_HOSTNAME)
    platform = _clean(platform, MAX_PLATFORM)
    if machine is not None and alive(machine):
        machine.last_heartbeat_at = now
        machine.heartbeat_due_at = now + window
        machine.hostname = hostname or machine.hostname
        machine.platform = platform or machine.platform
        await uow.session.flush()
        return Verdict(ValidationCode.VALID, license, machine, window)
    others = sum(1 for m in machines if alive(m))
    if license.max_machines > 0 and others >= license.max_machines:
        return Verdict(ValidationCode.TOO_MANY_MACHINES, license)
    if machine is None:
        machine = LicenseMachine(license_id=license.id, fingerprint=fingerprint)
        uow.session.add(machine)
    machine.hostname = hostname or machine.hostname
    machine.platform = platform or machine.platform
    machine.activated_at = machine.last_heartbeat_at = now
    machine.heartbeat_due_at = now + window
    machine.deactivated_at = None
    uow.session.add(
        LicenseActivation(
            license_id=license.id,
            fingerprint=fingerprint,
            hostname=machine.hostname,
            event=ActivationEvent.ACTIVATED,
            created_at=now,
        )
    )
    await uow.session.flush()
    uow.record(
        "license.machine_activate",
        "License",
        encode(License.PREFIX, license.id),
        after={"fingerprint": fingerprint, "hostname": machine.hostname},
        customer_id=license.customer_id,
    )
    return Verdict(ValidationCode.VALID, license, machine, window)
