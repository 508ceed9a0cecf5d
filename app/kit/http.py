"""What every HTTP endpoint shares: request ids, client addresses, JSON error bodies."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse

from app.kit.errors import ErrorCode

REQUEST_ID_HEADER = "x-request-id"


def request_id_of(request: HTTPConnection) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def client_address(request: HTTPConnection, trust_proxy_headers: bool) -> str:
    if trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


def error_response(
    request: HTTPConnection, status: int, code: ErrorCode, message: str
) -> JSONResponse:
    """The JSON shape of every HTTP-level error: a GraphQL-style error list with a code."""
    return JSONResponse(
        {
            "errors": [
                {
                    "message": message,
                    "extensions": {"code": code.value, "requestId": request_id_of(request)},
                }
            ]
        },
        status_code=status,
    )
