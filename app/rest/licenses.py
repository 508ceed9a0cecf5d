"""The licensed product's endpoints: validate, heartbeat, and the signed revocation list.

The license key is the credential: no other authentication, so a machine needs nothing but
its key. Every answer is HTTP 200 once the body is well formed; `code` says why not valid.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.kit.errors import ErrorCode
from app.licenses import files
from app.licenses.signing import KeyRing
from app.licenses.validation import Validator
from app.rest.common import RestError, endpoint, json_object, string_field
from app.runtime import Runtime
from app.settings import Settings


def _key(body: dict[str, object]) -> str:
    key = string_field(body, "key")
    assert key is not None
    return key.strip()


def routes(settings: Settings) -> list[BaseRoute]:
    revocations_ttl = timedelta(minutes=settings.license_revocations_ttl_minutes)
    validators: dict[int, Validator] = {}

    def validator_of(runtime: Runtime) -> Validator:
        found = validators.get(id(runtime))
        if found is None:
            found = validators[id(runtime)] = Validator(runtime.db, KeyRing(runtime.db))
        return found

    @endpoint
    async def validate(request: Request, runtime: Runtime) -> JSONResponse:
        """POST /v1/licenses/validate {key, fingerprint?} → {valid, code, license}."""
        body = await json_object(request)
        fingerprint = string_field(body, "fingerprint", required=False)
        verdict = await validator_of(runtime).validate(_key(body), fingerprint)
        return JSONResponse(verdict.as_json())

    @endpoint
    async def heartbeat(request: Request, runtime: Runtime) -> JSONResponse:
        """POST /v1/licenses/heartbeat {key, fingerprint, hostname?, platform?} → {valid, code,
        license, machine, heartbeatWindowSeconds}; activates the machine while seats remain."""
        body = await json_object(request)
        verdict = await validator_of(runtime).heartbeat(
            _key(body),
            string_field(body, "fingerprint", required=False),
            string_field(body, "hostname", required=False),
            string_field(body, "platform", required=False),
        )
        return JSONResponse(verdict.as_json())

    @endpoint
    async def revocations(request: Request, runtime: Runtime) -> JSONResponse:
        """GET /v1/licenses/revocations → {token, revoked, issuedAt, expiresAt}: `token` signs
        the same list; cacheable until it expires."""
        reader = runtime.db.reader()
        try:
            signed = await files.revocations(reader, revocations_ttl, runtime.secret_key)
        finally:
            await reader.close()
        if signed is None:
            raise RestError(503, ErrorCode.SERVICE_UNAVAILABLE, "No signing key exists yet.")
        seconds = int(revocations_ttl.total_seconds())
        return JSONResponse(
            {
                "token": signed.token,
                "revoked": signed.payload["revoked"],
                "issuedAt": signed.issued_at.isoformat(),
                "expiresAt": signed.expires_at.isoformat(),
            },
            headers={"Cache-Control": f"public, max-age={seconds}"},
        )

    return [
        Route("/v1/licenses/validate", validate, methods=["POST"]),
        Route("/v1/licenses/heartbeat", heartbeat, methods=["POST"]),
        Route("/v1/licenses/revocations", revocations, methods=["GET"]),
    ]
