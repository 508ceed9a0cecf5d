"""`GET /.well-known/jwks.json`: the public keys that sign licenses (RFC 7517, RFC 8037 OKP).

Every key not yet RETIRED is published: the active ones and those in a rotation's overlap.
Cacheable for a few minutes (a new key is published before anything it signs is handed out;
a verifier seeing an unknown kid refetches), with an ETag for cheap revalidation.
"""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.licenses.repository import published_keys_statement
from app.licenses.signing import jwk
from app.rest.common import endpoint
from app.runtime import Runtime
from app.settings import Settings

MAX_AGE_SECONDS = 300


def routes(settings: Settings) -> list[BaseRoute]:
    @endpoint
    async def jwks(request: Request, runtime: Runtime) -> JSONResponse:
        reader = runtime.db.reader()
        try:
            rows = await reader.all(published_keys_statement())
        finally:
            await reader.close()
        document = {"keys": [jwk(row.kid, row.public_key) for row in rows]}
        etag = '"' + hashlib.sha256(json.dumps(document).encode()).hexdigest()[:32] + '"'
        headers = {"Cache-Control": f"public, max-age={MAX_AGE_SECONDS}", "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)  # type: ignore[return-value]
        return JSONResponse(document, headers=headers, media_type="application/jwk-set+json")

    return [Route("/.well-known/jwks.json", jwks, methods=["GET"])]
