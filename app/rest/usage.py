"""`POST /v1/usage` (usage events sent with a customer's API key) and
`GET /exports/usage.csv` (daily usage as CSV, for a master or a session admin's customers,
with a Bearer header or a signed link from `exportUrl(kind: USAGE)`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from app.auth.repository import administered_customer_ids
from app.keys import tokens
from app.keys.ratelimit import Limiter, storage_for
from app.keys.verify import Verifier, VerifyCode
from app.kit import clock, ranges
from app.kit.actor import Actor
from app.kit.csv_export import csv_stream
from app.kit.errors import ErrorCode, UserInputError
from app.kit.http import BodyTooLarge, error_response, read_body
from app.kit.ids import decode, encode
from app.kit.jsonutil import JSONInputError, loads_from_client
from app.kit.scope import NOTHING, RowScope
from app.kit.uow import UnitOfWork
from app.metrics.exports import check_signature
from app.metrics.periods import DateRange
from app.models.keys import ApiKey
from app.models.users import User
from app.rest.common import RestError, bearer_principal, endpoint, runtime_of
from app.runtime import Runtime
from app.settings import Settings
from app.usage import buckets, exports
from app.usage.ingest import CATALOG, Accepted, Caller, ingest

# 1,000 events with their properties.
MAX_USAGE_BODY = 2 * 1024 * 1024
REFUSED = {
    VerifyCode.RATE_LIMITED: (429, ErrorCode.TOO_MANY_ATTEMPTS, "The key's rate limit is spent."),
}


def _api_key(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(tuple(tokens.PREFIXES.values())):
        raise RestError(401, ErrorCode.UNAUTHENTICATED, "Use `Authorization: Bearer ak_…`.")
    return token


async def _events(request: Request, runtime: Runtime) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RestError(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send a JSON body.")
    try:
        body = await read_body(request, MAX_USAGE_BODY)
    except BodyTooLarge:
        raise RestError(413, ErrorCode.PAYLOAD_TOO_LARGE, "The body is too large.") from None
    try:
        value = loads_from_client(body, runtime.settings.max_json_depth)
    except JSONInputError as error:
        raise RestError(400, ErrorCode.BAD_REQUEST, str(error)) from None
    if not isinstance(value, dict):
        raise RestError(400, ErrorCode.BAD_REQUEST, "The body must be a JSON object.")
    return value.get("events")


def _range(request: Request) -> tuple[datetime, datetime]:
    """[start, end) from `start_date`/`end_date` (inclusive days; default the current UTC
    month), checked by the one range rule (`app/kit/ranges.py`)."""
    try:
        start = ranges.parse_day(request.query_params.get("start_date"), "start_date")
        end = ranges.parse_day(request.query_params.get("end_date"), "end_date")
        today = clock.now()
        first = start or buckets.month_start(today).date()
        last = end or (buckets.next_month_start(today) - timedelta(days=1)).date()
        ranges.check(first, last, ("start_date", "end_date"))
    except UserInputError as error:
        raise RestError(400, error.code, error.message, error.field) from None
    return buckets.midnight(first), buckets.midnight(last) + timedelta(days=1)


async def _signed_scope(
    request: Request, runtime: Runtime, start: datetime, end: datetime
) -> RowScope:
    """The scope a signed link grants: everything for a master's link; for a session admin's
    (it names the user, signed), the customers that user administers now."""
    params = request.query_params
    period = DateRange(start.date(), (end - timedelta(days=1)).date())
    user = params.get("user")
    try:
        check_signature(
            runtime.secret_key,
            "usage",
            period,
            params.get("expires", ""),
            params.get("signature", ""),
            user,
        )
    except UserInputError as error:
        raise RestError(401, error.code, error.message) from None
    if user is None:
        return RowScope(None)
    user_id = decode(user, User.PREFIX)
    reader = runtime.db.reader()
    try:
        return RowScope(await administered_customer_ids(reader, user_id), user_id)
    finally:
        await reader.close()


def routes(settings: Settings) -> list[BaseRoute]:
    limiter = Limiter(storage_for(settings))
    verifiers: dict[int, Verifier] = {}

    def verifier_of(runtime: Runtime) -> Verifier:
        found = verifiers.get(id(runtime))
        if found is None:
            found = verifiers[id(runtime)] = Verifier(runtime.db, limiter)
        return found

    @endpoint
    async def usage(request: Request, runtime: Runtime) -> JSONResponse:
        """POST /v1/usage {events: [...]} → 202 {received, stored, duplicates} once stored;
        400 with one error per bad event (nothing stored)."""
        verdict = await verifier_of(runtime).verify(_api_key(request))
        # Metering goes on past the quota: USAGE_EXCEEDED is for the product to act on.
        if verdict.code in REFUSED:
            status, code, message = REFUSED[verdict.code]
            raise RestError(status, code, message)
        if verdict.code not in (VerifyCode.VALID, VerifyCode.USAGE_EXCEEDED):
            raise RestError(
                401, ErrorCode.UNAUTHENTICATED, f"The API key is not valid ({verdict.code})."
            )
        row = verdict.row
        caller = Caller(row.customer_id, row.id, row.project_id)
        events = await _events(request, runtime)

        async def work(uow: UnitOfWork) -> Accepted:
            return await ingest(uow, caller, events)

        actor = Actor.system("api-key:" + encode(ApiKey.PREFIX, row.id))
        try:
            accepted: Accepted = await runtime.db.run(work, actor=actor, row_scope=NOTHING)
        except IntegrityError:
            # A metric this process remembers is gone (the database was reset under it):
            # nothing was stored; look everything up again, once.
            CATALOG.forget()
            accepted = await runtime.db.run(work, actor=actor, row_scope=NOTHING)
        return JSONResponse(
            {
                "received": accepted.received,
                "stored": accepted.stored,
                "duplicates": accepted.duplicates,
            },
            status_code=202,
        )

    async def usage_csv(request: Request) -> Response:
        runtime = runtime_of(request)
        signed = "signature" in request.query_params
        try:
            start, end = _range(request)
            if signed:
                scope = await _signed_scope(request, runtime, start, end)
            else:
                scope = (await bearer_principal(request, runtime)).row_scope
        except RestError as error:
            response = error_response(request, error.status, error.code, error.message, error.field)
            if error.status == 401 and not signed:
                response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
            return response
        rows = exports.usage_rows(runtime.db, scope, start, end)
        last = (end - timedelta(days=1)).date().isoformat()
        name = f"usage-{start.date().isoformat()}-{last}.csv"
        return StreamingResponse(
            csv_stream(exports.HEADER, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/v1/usage", usage, methods=["POST"]),
        Route("/exports/usage.csv", usage_csv, methods=["GET"]),
    ]
