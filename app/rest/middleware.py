"""ASGI middleware: request ids, the access log and request metrics.

This is the one access log (`admiral serve` turns uvicorn's off): one JSON line per request
with the method, the path, the query string with every value redacted, the status, the
duration and the request id. Bodies and headers are never logged.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.http import redacted_query_string
from app.ops.error_rate import ERRORS
from app.rest.metrics import Metrics

log = logging.getLogger("app.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WEBSOCKET = "WEBSOCKET"


def route_label(scope: Scope) -> str:
    """The route that answered, as declared (`/v1/feedback`, `/console/{path:path}`), so the
    metrics have one series per endpoint, not per URL; "other" when no route matched."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "other"


def log_access(scope: Scope, method: str, status: int, seconds: float, request_id: str) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    path = scope["path"]
    query = redacted_query_string(scope.get("query_string", b""))
    duration_ms = round(seconds * 1000, 1)
    log.info(
        "%s %s%s %s %.1fms",
        method,
        path,
        f"?{query}" if query else "",
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
        },
    )


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
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe(scope["method"], route_label(scope), status, elapsed)
            ERRORS.observe(status)
            log_access(scope, scope["method"], status, elapsed, request_id)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket is logged once, when its handshake is answered (101, or the refusal)."""
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        answered = False

        def answer(status: int) -> None:
            nonlocal answered
            if not answered:
                answered = True
                log_access(scope, WEBSOCKET, status, time.perf_counter() - started, request_id)

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
