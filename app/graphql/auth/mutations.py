"""Logins and master keys."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import strawberry

from app.auth import service
from app.graphql.auth.types import MasterKey, Session
from app.graphql.context import Info
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import master_writer, open_writer, writer
from app.graphql.users.types import User
from app.kit.uow import UnitOfWork
from app.models.auth import LoginSession


@strawberry.input
class SessionCreateInput:
    email: str
    password: str


@strawberry.type
class SessionCreatePayload(Payload):
    token: str | None = strawberry.field(
        default=None,
        description="The bearer token, shown once: send it as `Authorization: Bearer …`.",
    )
    expires_at: datetime | None = None
    session: Session | None = None
    viewer: User | None = None

    secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})


@mutation(
    open_writer,
    "Log in with email and password; the one operation open without credentials.",
)
async def session_create(
    info: Info, input: SessionCreateInput, uow: UnitOfWork
) -> SessionCreatePayload:
    context = info.context
    issued = await service.login(
        uow,
        context.runtime.passwords,
        context.settings,
        email=input.email,
        password=input.password,
        client_addr=context.client_addr,
        user_agent=context.request.headers.get("user-agent"),
    )
    return SessionCreatePayload(
        token=issued.token,
        expires_at=issued.session.expires_at,
        session=await read_back(uow.session, Session, issued.session.id),
        viewer=await read_back(uow.session, User, issued.user.id),
    )


@strawberry.input
class SessionRevokeInput:
    session_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the caller's own session."
    )


@strawberry.type
class SessionRevokePayload(Payload):
    session: Session | None = None


@mutation(writer, "Log out: revoke the caller's session, or (master) any session.")
async def session_revoke(
    info: Info, input: SessionRevokeInput, uow: UnitOfWork
) -> SessionRevokePayload:
    session_id = (
        input_id(input.session_id, LoginSession.PREFIX, "sessionId", "Session")
        if input.session_id
        else None
    )
    revoked = await service.revoke_session(uow, info.context.require_principal(), session_id)
    return SessionRevokePayload(session=await read_back(uow.session, Session, revoked.id))


@strawberry.input
class MasterKeyCreateInput:
    name: str = strawberry.field(description="What the key is for (1–100 characters).")


@strawberry.type
class MasterKeyCreatePayload(Payload):
    master_key: MasterKey | None = None
    key: str | None = strawberry.field(
        default=None, description="The secret, shown this once: store it now."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"key"})


@mutation(master_writer, "Create a master API key; the secret is returned once.")
async def master_key_create(
    info: Info, input: MasterKeyCreateInput, uow: UnitOfWork
) -> MasterKeyCreatePayload:
    issued = await service.create_master_key(uow, input.name)
    return MasterKeyCreatePayload(
        master_key=await read_back(uow.session, MasterKey, issued.key.id), key=issued.token
    )


@strawberry.input
class MasterKeyRevokeInput:
    master_key_id: strawberry.ID


@strawberry.type
class MasterKeyRevokePayload(Payload):
    master_key: MasterKey | None = None


@mutation(master_writer, "Revoke a master API key (idempotent).")
async def master_key_revoke(
    info: Info, input: MasterKeyRevokeInput, uow: UnitOfWork
) -> MasterKeyRevokePayload:
    key_id = input_id(input.master_key_id, MasterKey.PREFIX, "masterKeyId", "Master key")
    key = await service.revoke_master_key(uow, key_id)
    return MasterKeyRevokePayload(master_key=await read_back(uow.session, MasterKey, key.id))
