"""The one pipeline every mutation runs through (DESIGN §5).

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
import importlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.unset import UnsetType

from app.audit import idempotency
from app.audit.service import UnitOfWork
from app.graphql.context import Info
from app.graphql.errors import UserError, user_errors_from
from app.graphql.node import Node, resolve_node
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.ids import InvalidIdError, decode

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
        scope = principal.row_scope
    else:
        actor = Actor.system("anonymous")
        actor = dataclasses.replace(
            actor, request_id=context.request_id, client_addr=context.client_addr
        )
        scope = context.row_scope
    owner = principal.idempotency_owner if principal is not None else None
    key = idempotency_key if (owner is not None and not dry_run) else None
    try:
        digest = idempotency.request_hash(operation, fingerprint(input))
        if idempotency_key is not None:
            idempotency.check_key(idempotency_key)
    except UserInputError as error:
        return payload_type(user_errors=user_errors_from(error))

    async with context.db.unit_of_work() as session:
        uow = UnitOfWork(session, actor, context.db.dialect, scope, dry_run=dry_run)
        try:
            if key is not None and owner is not None:
                stored = await idempotency.stored_result(session, owner, key, operation, digest)
                if stored is not None:
                    return await _replay(info, payload_type, stored)
            payload = await perform(info, input, uow)
            await uow.finish()
        except UserInputError as error:
            await session.rollback()
            # Failure work runs on dry runs too: it is protection (counting a failed login),
            # and skipping it would make `dryRun: true` an unthrottled password oracle.
            await _run_failure_work(context.db, uow)
            return payload_type(user_errors=user_errors_from(error))
        except IntegrityError:
            await session.rollback()
            log.info("mutation %s lost a race on a unique constraint", operation)
            return payload_type(user_errors=[_conflict()])

        if dry_run:
            await session.rollback()
            return _without_secrets(payload)
        if key is not None and owner is not None:
            await idempotency.store_result(
                session,
                owner,
                key,
                operation,
                digest,
                record_of(payload),
                timedelta(hours=context.settings.idempotency_ttl_hours),
            )
        try:
            await session.commit()
            # The request's reader may hold a snapshot from before this commit (SQLite keeps
            # one per read transaction): end it, so the payload's relations read the change.
            await context.reader.close()
        except IntegrityError:
            await session.rollback()
            if key is None or owner is None:
                return payload_type(user_errors=[_conflict()])
            # Another request with the same key committed first: answer with its result.
            async with context.db.unit_of_work() as again:
                stored = await idempotency.stored_result(again, owner, key, operation, digest)
            if stored is None:
                return payload_type(user_errors=[_conflict()])
            return await _replay(info, payload_type, stored)
    return payload


async def _run_failure_work(db: Any, failed: UnitOfWork) -> None:
    for work in failed.on_failure:
        async with db.unit_of_work() as session:
            later = UnitOfWork(session, failed.actor, failed.dialect, failed.scope)
            await work(later)
            await later.finish()
            await session.commit()


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


def record_of(payload: Payload) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for field in dataclasses.fields(payload):
        if field.name == "user_errors":
            continue
        value = None if field.name in payload.secret_fields else getattr(payload, field.name)
        record[field.name] = _encode(value)
    return record


def _encode(value: Any) -> Any:
    if isinstance(value, Node):
        return {"$node": str(value.id)}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, enum.Enum):
        return {"$enum": _path(type(value)), "value": value.value}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "$object": _path(type(value)),
            "fields": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    raise TypeError(f"payload field of type {type(value).__name__} cannot be stored")


async def _decode(info: Info, value: Any) -> Any:
    if isinstance(value, list):
        return [await _decode(info, item) for item in value]
    if isinstance(value, dict):
        if "$node" in value:
            return await resolve_node(info, value["$node"])
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$enum" in value:
            return _named(value["$enum"])(value["value"])
        if "$object" in value:
            fields = {name: await _decode(info, item) for name, item in value["fields"].items()}
            return _named(value["$object"])(**fields)
    return value


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _named(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


async def _replay(info: Info, payload_type: type[PayloadT], stored: dict[str, Any]) -> PayloadT:
    info.context.response.headers["Idempotent-Replayed"] = "true"
    values = {name: await _decode(info, value) for name, value in stored.items()}
    return payload_type(**values)


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
        return await run_mutation(
            info,
            payload_type,
            operation=operation,
            input=input,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
            perform=perform,
        )

    annotations: dict[str, Any] = {"info": Info}
    if input_type is not None:
        annotations["input"] = input_type
    annotations |= {"dry_run": bool, "idempotency_key": str | None, "return": payload_type | None}
    resolve.__annotations__ = annotations
    if input_type is None:
        # No input argument in the schema: hide the parameter from Strawberry.
        async def resolve_without_input(
            info: Info, dry_run: bool = False, idempotency_key: str | None = None
        ) -> PayloadT | None:
            return await resolve(info, None, dry_run, idempotency_key)

        resolve_without_input.__annotations__ = {
            key: value for key, value in annotations.items() if key != "input"
        }
        return strawberry.mutation(
            resolver=resolve_without_input,
            name=operation,
            extensions=extensions,
            description=description,
        )
    return strawberry.mutation(
        resolver=resolve, name=operation, extensions=extensions, description=description
    )
