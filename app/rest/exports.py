"""GET /exports/{revenue|customers|tax|audit}.csv?start_date=…&end_date=…: a master's CSV
export, streamed row by row; a signed link (`exportUrl`) stands in for the Bearer header."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from app.kit.csv_export import csv_stream
from app.kit.errors import ErrorCode, UserInputError
from app.kit.http import error_response
from app.metrics.exports import KINDS, check_signature, statement, stream_rows
from app.metrics.periods import checked_range, parse_day
from app.rest.common import RestError, bearer_principal, runtime_of
from app.settings import Settings


async def export(request: Request) -> Response:
    runtime = runtime_of(request)
    kind = request.path_params["kind"]
    params = request.query_params
    signed = params.get("signature")
    try:
        if kind not in KINDS:
            raise RestError(404, ErrorCode.NOT_FOUND, f"Exports are {', '.join(KINDS)}.")
        try:
            period = checked_range(
                parse_day(params.get("start_date"), "start_date"),
                parse_day(params.get("end_date"), "end_date"),
                ("start_date", "end_date"),
            )
        except UserInputError as error:
            raise RestError(400, error.code, error.message, error.field) from None
        if signed is not None:
            try:
                check_signature(runtime.secret_key, kind, period, params.get("expires", ""), signed)
            except UserInputError as error:
                raise RestError(401, error.code, error.message) from None
        else:
            principal = await bearer_principal(request, runtime)
            if not principal.is_master:
                raise RestError(403, ErrorCode.FORBIDDEN, "Exports are for master admins.")
    except RestError as failure:
        response: JSONResponse = error_response(
            request, failure.status, failure.code, failure.message, failure.field
        )
        if failure.status == 401 and signed is None:
            response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
        return response
    header, select = statement(kind, period, runtime.settings.reporting_currency)
    filename = f"admiral-{kind}-{period.label()}.csv"
    return StreamingResponse(
        csv_stream(header, stream_rows(runtime.db.read_engine, select)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route("/exports/{kind}.csv", export, methods=["GET"])]
