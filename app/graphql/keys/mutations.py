"""API key mutations: create, update, revoke, rotate (session admins for their own customers).

The secret of a new key is in the payload once: never stored for an idempotent replay, blank
on a dry run (which issues nothing).
"""

import uuid
from datetime import datetime
from typing import ClassVar

import strawberry

from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.keys.types import ApiKey
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import writer
from app.keys import service
from app.kit.uow import UnitOfWork
from app.models.keys import KeyEnvironment
from app.models.projects import Project


def _key_id(value: strawberry.ID) -> uuid.UUID:
    key_id: uuid.UUID = input_id(value, ApiKey.PREFIX, "apiKeyId", "API key")
    return key_id


@strawberry.input
class ApiKeyCreateInput:
    customer_id: strawberry.ID
    project_id: strawberry.ID | None = None
    name: str
    scopes: list[str] | None = strawberry.field(
        default=None, description="From the documented list (README: API keys); none by default."
    )
    expires_at: datetime | None = None
    environment: KeyEnvironment


@strawberry.type
class ApiKeyCreatePayload(Payload):
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None, description="The key itself, shown this once (null on a dry run)."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})


@mutation(
    writer, "Issue an API key for a customer or one of its projects; the secret is shown once."
)
async def api_key_create(
    info: Info, input: ApiKeyCreateInput, uow: UnitOfWork
) -> ApiKeyCreatePayload:
    project_id = (
        input_id(input.project_id, Project.PREFIX, "projectId", "Project")
        if input.project_id is not None
        else None
    )
    issued = await service.create_key(
        uow,
        customer_id=customer_id_of(input.customer_id),
        project_id=project_id,
        name=input.name,
        scopes=input.scopes,
        expires_at=input.expires_at,
        environment=input.environment,
    )
    return ApiKeyCreatePayload(
        api_key=await read_back(uow.session, ApiKey, issued.key.id), secret=issued.secret
    )


@strawberry.input
class ApiKeyUpdateInput:
    api_key_id: strawberry.ID
    name: str | None = None
    scopes: list[str] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = strawberry.field(default=False, description="Make it never expire.")


@strawberry.type
class ApiKeyUpdatePayload(Payload):
    api_key: ApiKey | None = None


@mutation(writer, "Rename a key, change its scopes or its expiry.")
async def api_key_update(
    info: Info, input: ApiKeyUpdateInput, uow: UnitOfWork
) -> ApiKeyUpdatePayload:
    key = await service.update_key(
        uow,
        key_id=_key_id(input.api_key_id),
        name=input.name,
        scopes=input.scopes,
        expires_at=input.expires_at,
        clear_expiry=input.clear_expiry,
    )
    return ApiKeyUpdatePayload(api_key=await read_back(uow.session, ApiKey, key.id))


@strawberry.input
class ApiKeyRevokeInput:
    api_key_id: strawberry.ID
    reason: str | None = None


@strawberry.type
class ApiKeyRevokePayload(Payload):
    api_key: ApiKey | None = None


@mutation(writer, "Revoke a key at once; revoking a revoked key returns it unchanged.")
async def api_key_revoke(
    info: Info, input: ApiKeyRevokeInput, uow: UnitOfWork
) -> ApiKeyRevokePayload:
    key = await service.revoke_key(uow, key_id=_key_id(input.api_key_id), reason=input.reason)
    return ApiKeyRevokePayload(api_key=await read_back(uow.session, ApiKey, key.id))


@strawberry.input
class ApiKeyRotateInput:
    api_key_id: strawberry.ID
    grace_period_seconds: int = strawberry.field(
        default=0, description="How long the old key keeps working: 0 to 604800 (7 days)."
    )


@strawberry.type
class ApiKeyRotatePayload(Payload):
    api_key: ApiKey | None = strawberry.field(default=None, description="The new key.")
    previous_api_key: ApiKey | None = strawberry.field(
        default=None, description="The old key, revoked when the grace period ends."
    )
    secret: str | None = strawberry.field(
        default=None, description="The new key itself, shown this once (null on a dry run)."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})


@mutation(writer, "Replace a key by a new one; the old one works until the grace period ends.")
async def api_key_rotate(
    info: Info, input: ApiKeyRotateInput, uow: UnitOfWork
) -> ApiKeyRotatePayload:
    rotation = await service.rotate_key(
        uow, key_id=_key_id(input.api_key_id), grace_period_seconds=input.grace_period_seconds
    )
    return ApiKeyRotatePayload(
        api_key=await read_back(uow.session, ApiKey, rotation.new.id),
        previous_api_key=await read_back(uow.session, ApiKey, rotation.old.id),
        secret=rotation.secret,
    )
