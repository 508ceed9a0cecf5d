"""Plumbing shared by the REST endpoints: JSON bodies, bearer principals, units of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.auth.principal import Principal
from app.auth.service import authenticate, record_impersonated_request
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, ServiceUnavailable, UserInputError, UserInputErrors
from app.kit.http import BodyTooLarge, client_address, error_response, read_body, request_id_of
from app.kit.jsonutil import JSONInputError, loads_from_client
from app.kit.requestlog import note_actor
from app.kit.scope import NOTHING
from app.kit.uow import UnitOfWork
from app.runtime import Runtime

T = TypeVar("T")
MAX_REST_BODY = 64 * 1024


class RestError(Exception):
    def __init__(self, status: int, code: ErrorCode, message: str, field: list[str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RestError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send a JSON body.")
    try:
        body = await read_body(request, MAX_REST_BODY)
    except BodyTooLarge:
        raise RestError(413, ErrorCode.PAYLOAD_TOO_LARGE, "The body is too large.") from None
    try:
        value = loads_from_client(body, runtime_of(request).settings.max_json_depth)
    except JSONInputError as error:
        raise RestError(400, ErrorCode.BAD_REQUEST, str(error)) from None
    if not isinstance(value, dict):
        raise RestError(400, ErrorCode.BAD_REQUEST, "The body must be a JSON object.")
    return value


def string_field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise RestError(400, ErrorCode.INVALID, f"`{name}` must be a string.", [name])
    return value


async def bearer_principal(request: Request, runtime: Runtime) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RestError(401, ErrorCode.UNAUTHENTICATED, "Use `Authorization: Bearer <token>`.")
    reader = runtime.db.reader()
    try:
        principal = await authenticate(token.strip(), reader, runtime.db, runtime.settings)
    finally:
        await reader.close()
    if principal is None:
        raise RestError(401, ErrorCode.UNAUTHENTICATED, "The token is unknown, revoked or expired.")
    principal = principal.for_request(
        request_id_of(request), client_address(request, runtime.settings.trust_proxy_headers)
    )
    note_actor(request.scope, principal.actor)
    if principal.is_impersonation:
        # The path only: a query string may carry anything the caller put in it.
        details = {"channel": "rest", "method": request.method, "path": request.url.path}
        await record_impersonated_request(runtime.db, principal, details)
    return principal


async def in_unit_of_work(
    runtime: Runtime, actor: Actor, work: Callable[[UnitOfWork], Awaitable[T]]
) -> T:
    """Run `work` as one unit of work; a UserInputError rolls it back (and becomes a 400).

    REST callers are checked by their handler (a reset token, a feedback sender); the row scope
    grants them nothing beyond that."""
    return await runtime.db.run(work, actor=actor, row_scope=NOTHING)


def endpoint(
    handler: Callable[[Request, Runtime], Awaitable[JSONResponse]],
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """Turns the expected failures of a REST handler into JSON error responses."""

    async def run(request: Request) -> JSONResponse:
        try:
            return await handler(request, runtime_of(request))
        except RestError as error:
            response = error_response(request, error.status, error.code, error.message, error.field)
            if error.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
            return response
        except UserInputError as error:
            return user_errors_response(request, error)
        except ServiceUnavailable as error:
            return error_response(request, 503, ErrorCode.SERVICE_UNAVAILABLE, error.message)

    return run


def user_errors_response(request: Request, error: UserInputError) -> JSONResponse:
    """Every problem of one request body, each with its code and field (HTTP 400)."""
    problems = error.errors if isinstance(error, UserInputErrors) else [error]
    request_id = request_id_of(request)
    errors = []
    for problem in problems:
        extensions: dict[str, object] = {"code": problem.code.value, "requestId": request_id}
        if problem.field is not None:
            extensions["field"] = problem.field
        errors.append({"message": problem.message, "extensions": extensions})
    return JSONResponse({"errors": errors}, status_code=400)
