"""ASGI middleware: request ids, the access log and request metrics.

This is the one access log (`admiral serve` turns uvicorn's off): one JSON line per request
with the method, the path, the query string with every value redacted, the status, the
duration, the request id, the GraphQL operation name and the principal (public id and kind)
when known, and the outcome (`ok`, `user_error`, `error`). Bodies and headers are never
logged. An exception no endpoint handled is logged here (`app.errors`, with its stack, so it
is stored and grouped: `errorGroups`) and answered with a masked 500.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from app.kit.errors import ErrorCode
from app.kit.http import redacted_query_string
from app.kit.requestlog import ERROR, OK, USER_ERROR, Observed, observed
from app.ops.error_rate import ERRORS
from app.rest.metrics import Metrics

log = logging.getLogger("app.access")
errors_log = logging.getLogger("app.errors")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WEBSOCKET = "WEBSOCKET"


def route_label(scope: Scope) -> str:
    """The route that answered, as declared (`/v1/feedback`, `/console/{path:path}`), so the
    metrics have one series per endpoint, not per URL; "other" when no route matched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "other"


def outcome_of(status: int, note: Observed) -> str:
    if status >= 500 or note.outcome == ERROR:
        return ERROR
    if status >= 400 or note.outcome == USER_ERROR:
        return USER_ERROR
    return OK


def log_access(
    scope: Scope, method: str, status: int, seconds: float, request_id: str, outcome: str
) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    path = scope["path"]
    query = redacted_query_string(scope.get("query_string", b""))
    duration_ms = round(seconds * 1000, 1)
    note = observed(scope)
    fields: dict[str, Any] = {
        "method": method,
        "path": path,
        "query": query,
        "status": status,
        "duration_ms": duration_ms,
        "request_id": request_id,
        "outcome": outcome,
    }
    if note.operation is not None:
        fields["operation"] = note.operation
    if note.operation_type is not None:
        fields["operation_type"] = note.operation_type
    if note.principal_id is not None:
        fields["principal_id"] = note.principal_id
        fields["principal_kind"] = note.principal_kind
    if note.impersonator_id is not None:
        fields["impersonator_id"] = note.impersonator_id
    # A standard-library record with the fields as attributes (what handlers and tests read);
    # structlog renders it, with the request's bound context, like every other line.
    log.info(
        "%s %s%s %s %.1fms",
        method,
        path,
        f"?{query}" if query else "",
        status,
        duration_ms,
        extra=fields,
    )


_INTERNAL_ERROR_BODY = {"message": "Internal server error"}


def _request_id(scope: Scope) -> str:
    incoming = ""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            break
    return incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Gives every request an id (kept from `X-Request-Id` when sane), measures and logs it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        outer_context = get_contextvars()
        bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            errors_log.exception(
                "unexpected error in %s %s",
                scope["method"],
                route_label(scope),
                extra={"request_id": request_id},
            )
            if response_started:
                raise
            await _internal_error(send_with_id, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_label(scope)
            outcome = outcome_of(status, observed(scope))
            self.metrics.observe(scope["method"], route, status, elapsed)
            self.metrics.observe_request(scope, route, outcome, elapsed)
            ERRORS.observe(status)
            log_access(scope, scope["method"], status, elapsed, request_id, outcome)
            clear_contextvars()
            bind_contextvars(**outer_context)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket is logged once, when its handshake is answered (101, or the refusal)."""
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        outer_context = get_contextvars()
        bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        answered = False

        def answer(status: int) -> None:
            nonlocal answered
            if not answered:
                answered = True
                outcome = outcome_of(status, observed(scope))
                log_access(
                    scope, WEBSOCKET, status, time.perf_counter() - started, request_id, outcome
                )

        async def send_logged(message: Message) -> None:
            if message["type"] == "websocket.accept":
                answer(101)
            elif message["type"] == "websocket.close":
                answer(403)
            elif message["type"] == "websocket.http.response.start":
                answer(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            answer(500)
            clear_contextvars()
            bind_contextvars(**outer_context)


async def _internal_error(send: Send, request_id: str) -> None:
    """The masked answer to an unhandled exception, shaped like every other error body."""
    body = orjson.dumps(
        {
            "errors": [
                {
                    **_INTERNAL_ERROR_BODY,
                    "extensions": {
                        "code": ErrorCode.INTERNAL_SERVER_ERROR.value,
                        "requestId": request_id,
                    },
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
