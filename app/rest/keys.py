"""`POST /v1/keys/verify {key}`: whether a presented API key is good, and its limits.

Called by the products that receive the keys, authenticated by a master key (or a staff
session) or by a verifier key: an API key carrying the `keys:verify` scope, which only a master
may grant. An accepted credential is remembered for `AUTH_CACHE_SECONDS`, so the hot path
stays one indexed read; revoking a verifier or master key therefore takes up to that long to
reach this endpoint.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.auth.service import authenticate
from app.keys import tokens
from app.keys.ratelimit import Limiter, storage_for
from app.keys.verify import Verifier
from app.kit import clock
from app.kit.crypto import token_hash
from app.kit.errors import ErrorCode
from app.rest.common import RestError, endpoint, json_object, string_field
from app.runtime import Runtime
from app.settings import Settings

AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_SIZE = 1024


class Authenticator:
    def __init__(self) -> None:
        self._accepted: dict[str, datetime] = {}

    async def check(self, request: Request, runtime: Runtime, verifier: Verifier) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise RestError(401, ErrorCode.UNAUTHENTICATED, "Use `Authorization: Bearer <key>`.")
        digest = token_hash(token)
        now = clock.now()
        until = self._accepted.get(digest)
        if until is not None and now < until:
            return
        if not await self._allowed(token, runtime, verifier):
            self._accepted.pop(digest, None)
            raise RestError(
                401,
                ErrorCode.UNAUTHENTICATED,
                "Authenticate with a master key or a verifier key (scope keys:verify).",
            )
        if len(self._accepted) >= AUTH_CACHE_SIZE:
            self._accepted.clear()
        self._accepted[digest] = now + timedelta(seconds=AUTH_CACHE_SECONDS)

    async def _allowed(self, token: str, runtime: Runtime, verifier: Verifier) -> bool:
        if token.startswith(tuple(tokens.PREFIXES.values())):
            return await verifier.is_verifier_key(token)
        reader = runtime.db.reader()
        try:
            principal = await authenticate(token, reader, runtime.db, runtime.settings)
        finally:
            await reader.close()
        return principal is not None and principal.is_master and not principal.read_only


def routes(settings: Settings) -> list[BaseRoute]:
    limiter = Limiter(storage_for(settings))
    authenticator = Authenticator()
    verifiers: dict[int, Verifier] = {}

    def verifier_of(runtime: Runtime) -> Verifier:
        found = verifiers.get(id(runtime))
        if found is None:
            found = verifiers[id(runtime)] = Verifier(runtime.db, limiter)
        return found

    @endpoint
    async def verify(request: Request, runtime: Runtime) -> JSONResponse:
        """POST /v1/keys/verify {key} → {valid, code, keyId, customerId, projectId, plan,
        scopes, ratelimit}; always 200 once authenticated (the code says why not valid)."""
        verifier = verifier_of(runtime)
        await authenticator.check(request, runtime, verifier)
        body = await json_object(request)
        key = string_field(body, "key")
        assert key is not None
        verdict = await verifier.verify(key.strip())
        return JSONResponse(verdict.as_json())

    return [Route("/v1/keys/verify", verify, methods=["POST"])]
