"""What every HTTP endpoint shares: request ids, client addresses, JSON error bodies."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, unquote_to_bytes

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.types import Scope

from app.kit.errors import ErrorCode

REQUEST_ID_HEADER = "x-request-id"
REDACTED_VALUE = "***"
# A GraphQL operation name is a name, not data: it stays readable in the logs.
NAMED_PARAMETERS = frozenset({"operationName"})
_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


def request_id_of(request: HTTPConnection) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def client_address(request: HTTPConnection, trust_proxy_headers: bool) -> str:
    if trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


def error_response(
    request: HTTPConnection,
    status: int,
    code: ErrorCode,
    message: str,
    field: list[str] | None = None,
) -> JSONResponse:
    """The JSON shape of every HTTP-level error: a GraphQL-style error list with a code."""
    extensions: dict[str, object] = {"code": code.value, "requestId": request_id_of(request)}
    if field is not None:
        extensions["field"] = field
    return JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]}, status_code=status
    )


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def is_operation_name(value: str) -> bool:
    """Whether `value` could name a GraphQL operation (a name of at most 100 characters)."""
    return _GRAPHQL_NAME.fullmatch(value) is not None


def redacted_query_string(raw: bytes) -> str:
    """The query string with its parameter names kept and every value replaced by `***`.

    Values may carry anything a client put there (a GET query's variables, a token); only an
    `operationName` that is a valid GraphQL name is kept.
    """
    kept = []
    for part in raw.decode("latin-1").split("&"):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if value:
            decoded = unquote_plus(value)
            named = unquote_plus(name) in NAMED_PARAMETERS and is_operation_name(decoded)
            value = decoded if named else REDACTED_VALUE
        kept.append(f"{name}{equals}{value}")
    return "&".join(kept)


def query_string_is_utf8(scope: Scope) -> bool:
    """Whether every name and value of the query string decodes as UTF-8.

    Starlette replaces bad bytes with U+FFFD, which would let a mangled value pass unnoticed.
    """
    raw: bytes = scope.get("query_string", b"")
    try:
        for pair in raw.split(b"&"):
            for part in pair.split(b"=", 1):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
