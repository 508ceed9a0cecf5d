"""How failures reach clients: `UserError` in payloads, codes on top-level errors, masking."""

from __future__ import annotations

import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError

from app.kit.errors import AdmiralError, ErrorCode, UserInputError, UserInputErrors

log = logging.getLogger("app.errors")

ErrorCodeEnum = strawberry.enum(
    ErrorCode, name="ErrorCode", description="Stable, machine-readable error codes."
)

INTERNAL_MESSAGE = "Internal server error"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


@strawberry.type(description="A business failure of a mutation: nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"].'
    )
    message: str
    code: ErrorCode


def user_errors_from(error: UserInputError) -> list[UserError]:
    errors = error.errors if isinstance(error, UserInputErrors) else [error]
    return [
        UserError(field=_input_path(item.field), message=item.message, code=item.code)
        for item in errors
    ]


def _input_path(field: list[str] | None) -> list[str] | None:
    if field is None:
        return None
    if field and field[0] in ("input", "idempotencyKey", "dryRun"):
        return field
    return ["input", *field]


def is_expected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is None or isinstance(original, (AdmiralError, GraphQLError))


def format_error(
    error: GraphQLError, request_id: str, *, anonymous: bool = False
) -> dict[str, Any]:
    """The JSON of one top-level error; unexpected exceptions show only a request id."""
    original = error.original_error
    formatted: dict[str, Any]
    if original is not None and not is_expected(error):
        formatted = {"message": INTERNAL_MESSAGE}
        if error.path is not None:
            formatted["path"] = error.path
        formatted["extensions"] = {
            "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
            "requestId": request_id,
        }
        return formatted
    formatted = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, AdmiralError):
        formatted["message"] = original.message
        extensions["code"] = original.code.value
    elif "code" not in extensions:
        extensions["code"] = (
            ErrorCode.GRAPHQL_VALIDATION_FAILED.value
            if error.path is None
            else ErrorCode.INTERNAL_SERVER_ERROR.value
        )
    if anonymous:
        formatted["message"] = _SUGGESTION.sub("", formatted["message"])
    extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        if not is_expected(error):
            log.error(
                "unexpected error in GraphQL execution",
                exc_info=error.original_error,
                extra={"request_id": request_id, "path": error.path},
            )
