"""GET /invoices/{id}.pdf: a finalized invoice as a PDF (a master, or a session admin of the
invoice's customer; anyone else, a draft, or an unknown id: 404)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.billing.invoices import pdf, repository
from app.kit.errors import ErrorCode
from app.kit.http import error_response
from app.kit.ids import InvalidIdError, decode
from app.models.invoices import Invoice
from app.rest.common import RestError, bearer_principal, runtime_of
from app.settings import Settings


async def invoice_pdf(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        principal = await bearer_principal(request, runtime)
        try:
            invoice_id = decode(request.path_params["invoice_id"], Invoice.PREFIX)
        except InvalidIdError:
            raise RestError(404, ErrorCode.NOT_FOUND, "Invoice not found.") from None
        async with runtime.db.write_session() as session:
            document = await repository.invoice_document(session, invoice_id, principal.row_scope)
        if document is None:
            raise RestError(404, ErrorCode.NOT_FOUND, "Invoice not found.")
    except RestError as error:
        response: JSONResponse = error_response(
            request, error.status, error.code, error.message, error.field
        )
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
        return response
    invoice, lines, discounts, customer_name = document
    body = pdf.render(invoice, lines, discounts, customer_name)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{invoice.number}.pdf"'},
    )


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route("/invoices/{invoice_id}.pdf", invoice_pdf, methods=["GET"])]
