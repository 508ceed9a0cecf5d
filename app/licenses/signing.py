"""Signing keys: Ed25519 pairs whose private halves are encrypted at rest and never leave.

The platform has one ACTIVE key (project null), and a project may have its own. A rotation
makes a new ACTIVE key and sets the old one's `retires_at` to the end of the overlap: until
then it is RETIRING, still published in the JWKS, so what it signed keeps verifying; then it
is RETIRED and no longer published. The first key of a scope is made when it is first needed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from app.db import Database
from app.kit import clock, crypto
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode, uuid7
from app.kit.uow import UnitOfWork
from app.licenses import tokens
from app.licenses.repository import published_keys_statement, signing_key_status
from app.models.licenses import SIGNING_KEYS, SigningKey, SigningKeyStatus
from app.models.projects import Project
from app.models.tables import PROJECTS

MAX_OVERLAP_HOURS = 90 * 24


def _public_text(public_key: Ed25519PublicKey) -> str:
    return tokens.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_of(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(tokens.b64decode(text))


def private_key_of(key: Any, secret_key: str) -> Ed25519PrivateKey:
    raw = tokens.b64decode(crypto.decrypt(secret_key, key.private_key_encrypted))
    return Ed25519PrivateKey.from_private_bytes(raw)


def _new_key(project_id: uuid.UUID | None, secret_key: str) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key_id = uuid7()
    return SigningKey(
        id=key_id,
        kid=encode(SigningKey.PREFIX, key_id),
        project_id=project_id,
        public_key=_public_text(private.public_key()),
        private_key_encrypted=crypto.encrypt(secret_key, tokens.b64encode(raw)),
        created_at=clock.now(),
    )


def view(key: SigningKey) -> dict[str, Any]:
    """The audited view of a key: never its private half, encrypted or not."""
    return {
        "kid": key.kid,
        "algorithm": key.algorithm,
        "projectId": encode(Project.PREFIX, key.project_id) if key.project_id else None,
        "retiresAt": key.retires_at,
    }


async def _active_keys(uow: UnitOfWork, project_id: uuid.UUID | None) -> list[SigningKey]:
    owner = (
        SIGNING_KEYS.c.project_id.is_(None)
        if project_id is None
        else SIGNING_KEYS.c.project_id == project_id
    )
    statement = (
        sa.select(SigningKey)
        .where(owner, SIGNING_KEYS.c.retires_at.is_(None))
        .order_by(SIGNING_KEYS.c.created_at)
        .with_for_update()
    )
    return list((await uow.session.execute(statement)).scalars())


async def _create(uow: UnitOfWork, project_id: uuid.UUID | None, secret_key: str) -> SigningKey:
    key = _new_key(project_id, secret_key)
    uow.session.add(key)
    await uow.session.flush()
    uow.record("signing_key.create", "SigningKey", key.kid, after=view(key))
    return key


async def active_key(uow: UnitOfWork, project_id: uuid.UUID | None, secret_key: str) -> SigningKey:
    """The key that signs for this project: its own active key, else the platform's (made
    on first use)."""
    if project_id is not None:
        own = await _active_keys(uow, project_id)
        if own:
            return own[-1]
    found = await _active_keys(uow, None)
    return found[-1] if found else await _create(uow, None, secret_key)


@dataclass(frozen=True, slots=True)
class Rotation:
    new: SigningKey
    retiring: list[SigningKey]


async def rotate(
    uow: UnitOfWork, *, project_id: uuid.UUID | None, overlap_hours: int, secret_key: str
) -> Rotation:
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise UserInputError(
            f"The overlap lies between 0 and {MAX_OVERLAP_HOURS} hours (90 days).",
            ErrorCode.INVALID,
            "overlapHours",
        )
    if project_id is not None:
        exists = await uow.session.scalar(
            sa.select(PROJECTS.c.id).where(PROJECTS.c.id == project_id)
        )
        if exists is None:
            raise not_found("Project", "projectId")
    now = clock.now()
    retiring = await _active_keys(uow, project_id)
    ends = now + timedelta(hours=overlap_hours)
    for old in retiring:
        before = view(old)
        old.retires_at = ends
        uow.record("signing_key.retire", "SigningKey", old.kid, before=before, after=view(old))
    new = _new_key(project_id, secret_key)
    uow.session.add(new)
    await uow.session.flush()
    uow.after_commit.append(_keys_changed_async)
    uow.record(
        "signing_key.rotate",
        "SigningKey",
        new.kid,
        after=view(new) | {"retiring": [old.kid for old in retiring]},
    )
    return Rotation(new, retiring)


async def _keys_changed_async() -> None:
    keys_changed()


def jwk(kid: str, public_key: str) -> dict[str, str]:
    """RFC 8037: an Ed25519 public key as an OKP JSON Web Key."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": public_key,
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    }


@dataclass(frozen=True, slots=True)
class Published:
    public_key: Ed25519PublicKey
    retires_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return signing_key_status(self.retires_at, now) is not SigningKeyStatus.RETIRED


class KeyRing:
    """The published public keys by kid, kept in memory for the validation hot path.

    Reloaded every `ttl_seconds`, and at once (at most once a second) when a token names a kid
    it does not hold, so a rotation in another process is seen on the first license it signs."""

    def __init__(self, db: Database, ttl_seconds: float = 30.0) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, Published] = {}
        self._loaded_at = float("-inf")
        self._generation = _generation[0]

    async def _load(self) -> None:
        async with self.db.hot_read_engine.connect() as connection:
            found = (await connection.execute(published_keys_statement())).all()
        self._keys = {
            row.kid: Published(public_key_of(row.public_key), row.retires_at) for row in found
        }
        self._loaded_at = time.monotonic()

    async def get(self, kid: str) -> Published | None:
        # A miss costs one indexed read, no more than the license lookup that follows a hit.
        stale = time.monotonic() - self._loaded_at > self.ttl_seconds
        if stale or kid not in self._keys or self._generation != _generation[0]:
            self._generation = _generation[0]
            await self._load()
        return self._keys.get(kid)


# Bumped when this process commits a rotation, so its own rings reload at once.
_generation = [0]


def keys_changed() -> None:
    _generation[0] += 1
