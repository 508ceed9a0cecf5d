"""The one pipeline every mutation runs through (docs/architecture.md: conventions).

    permissions (declared on the field)  →  idempotency lookup  →  the domain service, inside a
    unit of work  →  audit events appended to the chain  →  commit, or roll back on a dry run
    or a business failure  →  a payload with `userErrors`

Resolvers only translate GraphQL input into a service call (`perform`); everything else here is
shared, so no mutation can forget its audit event, its dry run or its idempotency key.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import logging
import typing
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.unset import UnsetType
from strawberry.utils.str_converters import to_camel_case, to_snake_case

from app.audit import idempotency
from app.graphql import replay
from app.graphql.context import Info
from app.graphql.errors import UserError, user_errors_from
from app.graphql.root import Extensions, add_mutation
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import InvalidIdError, decode
from app.kit.requestlog import USER_ERROR, note_outcome
from app.kit.uow import UnitOfWork
from app.runtime_settings import values

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT", bound="Payload")
Perform = Callable[[Info, Any, UnitOfWork], Awaitable[PayloadT]]


@strawberry.interface(description="What every mutation returns beside the objects it changed.")
class Payload:
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing was changed; empty on success.",
    )

    # Fields holding a secret shown once: never stored for idempotent replays, and blank on
    # dry runs (a dry run issues nothing).
    secret_fields: ClassVar[frozenset[str]] = frozenset()


def input_id(value: str, prefix: str | tuple[str, ...], field: str, kind: str) -> Any:
    """The UUID of an id given in a mutation input; a malformed one is a NOT_FOUND user error."""
    try:
        return decode(value, prefix)
    except InvalidIdError:
        raise UserInputError(f"{kind} not found.", ErrorCode.NOT_FOUND, field) from None


async def run_mutation(
    info: Info,
    payload_type: type[PayloadT],
    *,
    operation: str,
    input: Any,
    dry_run: bool,
    idempotency_key: str | None,
    perform: Perform[PayloadT],
) -> PayloadT:
    context = info.context
    principal = context.principal
    if principal is not None:
        actor = principal.for_request(context.request_id, context.client_addr).actor
    else:
        actor = Actor.system("anonymous")
        actor = dataclasses.replace(
            actor, request_id=context.request_id, client_addr=context.client_addr
        )
    refusal = await _maintenance_refusal(info, operation)
    if refusal is not None:
        return payload_type(user_errors=[refusal])
    owner = principal.idempotency_owner if principal is not None else None
    key = idempotency_key if (owner is not None and not dry_run) else None
    try:
        digest = idempotency.request_hash(operation, fingerprint(input))
        if idempotency_key is not None:
            idempotency.check_key(idempotency_key)
    except UserInputError as error:
        return payload_type(user_errors=user_errors_from(error))
    ttl = timedelta(hours=context.settings.idempotency_ttl_hours)
    stored: dict[str, Any] | None = None

    async def work(uow: UnitOfWork) -> PayloadT | None:
        nonlocal stored
        if key is not None and owner is not None:
            stored = await idempotency.stored_result(uow.session, owner, key, operation, digest)
            if stored is not None:
                return None
        uow.idempotency_key = provider_key(owner, operation, key)
        payload = await perform(info, input, uow)
        if key is not None and owner is not None:

            async def remember(uow: UnitOfWork) -> None:
                record = replay.record_of(payload, payload.secret_fields)
                await idempotency.store_result(
                    uow.session, owner, key, operation, digest, record, ttl
                )

            uow.before_commit.append(remember)
        return payload

    try:
        done = await context.db.run(work, actor=actor, row_scope=context.row_scope, dry_run=dry_run)
    except UserInputError as error:
        return payload_type(user_errors=user_errors_from(error))
    except IntegrityError:
        log.info("mutation %s lost a race on a unique constraint", operation)
        if key is None or owner is None:
            return payload_type(user_errors=[_conflict()])
        # Another request with the same key may have committed first: answer with its result.
        async with context.db.write_session() as session:
            stored = await idempotency.stored_result(session, owner, key, operation, digest)
        if stored is None:
            return payload_type(user_errors=[_conflict()])
    if stored is not None:
        return await _replay(info, payload_type, stored)
    assert done is not None
    if dry_run:
        return _without_secrets(done)
    # The request's reader may hold a snapshot from before this commit (SQLite keeps one per
    # read transaction): end it, so the payload's relations read the change.
    await context.reader.close()
    return done


# Open in maintenance mode to everyone: logging in and out (a staff member must be able to
# sign in to turn it off, and reading stays open to everyone signed in).
MAINTENANCE_OPEN = frozenset({"sessionCreate", "sessionRevoke"})


async def _maintenance_refusal(info: Info, operation: str) -> UserError | None:
    """While the runtime setting `maintenanceMode` is on, only masters change anything."""
    principal = info.context.principal
    if (principal is not None and principal.is_master) or operation in MAINTENANCE_OPEN:
        return None
    message = await values.maintenance(info.context.db)
    if message is None:
        return None
    return UserError(field=None, message=message, code=ErrorCode.MAINTENANCE_MODE)


def provider_key(owner: str | None, operation: str, key: str | None) -> str | None:
    """The key a mutation forwards to an outside system (`UnitOfWork.idempotency_key`).

    Scoped like the stored result (caller and operation), so two callers choosing the same
    key never meet at the provider; hashed, so the provider learns nothing of who called."""
    if key is None or owner is None:
        return None
    digest = hashlib.sha256(f"{owner}\x00{operation}\x00{key}".encode()).hexdigest()
    return f"adm_{digest[:40]}"


def _conflict() -> UserError:
    return UserError(
        field=None,
        message="A conflicting change was made at the same time; nothing was written. Retry.",
        code=ErrorCode.CONFLICT,
    )


def _without_secrets(payload: PayloadT) -> PayloadT:
    if not payload.secret_fields:
        return payload
    blanked = copy.copy(payload)
    for name in payload.secret_fields:
        setattr(blanked, name, None)
    return blanked


# ---------------------------------------------------------------- stored results


# Deeper than any input the schema and the JSON scalar let through; the bound keeps the walk
# (and the hashing after it) far from Python's and orjson's recursion limits.
MAX_FINGERPRINT_DEPTH = 64


def fingerprint(value: Any, depth: int = 0) -> Any:
    """Input as plain JSON for hashing; unset optional fields are left out."""
    if depth > MAX_FINGERPRINT_DEPTH:
        raise UserInputError("The input is nested too deeply.", ErrorCode.INVALID, "input")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: fingerprint(getattr(value, field.name), depth + 1)
            for field in dataclasses.fields(value)
            if not isinstance(getattr(value, field.name), UnsetType)
        }
    if isinstance(value, dict):
        return {key: fingerprint(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [fingerprint(item, depth + 1) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def _replay(info: Info, payload_type: type[PayloadT], stored: dict[str, Any]) -> PayloadT:
    try:
        values = {name: await replay.decode(info, value) for name, value in stored.items()}
        replayed = payload_type(**values)
    except (replay.UnknownStoredType, TypeError):
        # Stored by a version whose payload no longer fits this one: say so, act not again.
        log.warning("an idempotency record of %s no longer fits its payload", payload_type)
        return payload_type(user_errors=[_stale_record()])
    info.context.response.headers["Idempotent-Replayed"] = "true"
    return replayed


def _stale_record() -> UserError:
    return UserError(
        field=["idempotencyKey"],
        message="This idempotency key's first result can no longer be shown; nothing was done "
        "again. Use a new key to act again.",
        code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
    )


# ---------------------------------------------------------------- declaring mutations


def mutation(
    permission: Extensions, description: str, *, name: str | None = None
) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Declare a mutation beside its body.

        @mutation(master_writer, "Suspend a user; signs them out.")
        async def user_suspend(
            info: Info, input: UserSuspendInput, uow: UnitOfWork
        ) -> UserSuspendPayload: ...

    The field's name is the function's (camelCased), its input type and payload come from the
    annotations (a body without `input` declares a mutation without one), and it takes the
    standard `dryRun` and `idempotencyKey` arguments and runs through `run_mutation`.
    """

    def declare(body: Callable[..., Awaitable[Any]]) -> Any:
        hints = typing.get_type_hints(body)
        payload_type = hints["return"]
        input_type = hints.get("input")
        perform: Callable[..., Awaitable[Any]] = body
        if input_type is None:

            async def without_input(info: Info, _: Any, uow: UnitOfWork) -> Any:
                return await body(info, uow)

            perform = without_input
        operation = name or to_camel_case(body.__name__)
        field = mutation_field(
            operation,
            input_type,
            payload_type,
            perform,
            extensions=permission(),
            description=description,
        )
        return add_mutation(field)

    return declare


# ---------------------------------------------------------------- the field factory


def mutation_field(
    operation: str,
    input_type: type[Any] | None,
    payload_type: type[PayloadT],
    perform: Perform[PayloadT],
    *,
    extensions: list[FieldExtension],
    description: str,
) -> Any:
    """A mutation field with the standard arguments: `input`, `dryRun`, `idempotencyKey`."""

    # `input` has no default: with one, GraphQL would treat `input: X!` as optional.
    async def resolve(
        info: Info,
        input: Any,
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> PayloadT | None:
        payload = await run_mutation(
            info,
            payload_type,
            operation=operation,
            input=input,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
            perform=perform,
        )
        if payload.user_errors:
            note_outcome(info.context.request.scope, USER_ERROR)
        return payload

    annotations: dict[str, Any] = {"info": Info}
    if input_type is not None:
        annotations["input"] = input_type
    annotations |= {"dry_run": bool, "idempotency_key": str | None, "return": payload_type | None}
    resolve.__annotations__ = annotations
    # The Python name of the root type's attribute (the GraphQL name is `operation`).
    resolve.__name__ = to_snake_case(operation)
    if input_type is None:
        # No input argument in the schema: hide the parameter from Strawberry.
        async def resolve_without_input(
            info: Info, dry_run: bool = False, idempotency_key: str | None = None
        ) -> PayloadT | None:
            return await resolve(info, None, dry_run, idempotency_key)

        resolve_without_input.__annotations__ = {
            key: value for key, value in annotations.items() if key != "input"
        }
        resolve_without_input.__name__ = resolve.__name__
        return strawberry.mutation(
            resolver=resolve_without_input,
            name=operation,
            extensions=extensions,
            description=description,
        )
    return strawberry.mutation(
        resolver=resolve, name=operation, extensions=extensions, description=description
    )
