"""`/graphql` over HTTP: Strawberry's ASGI view with Admiral's front door.

Before Strawberry sees a request, this view answers what must not reach execution: the GraphiQL
page (no credentials needed), wrong methods and content types, bodies over the size limit (413,
without reading past the limit), and bad credentials (401). Errors always come back as JSON.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from app.auth.service import authenticate, record_impersonated_request
from app.graphql.context import Context
from app.graphql.errors import format_error, is_expected
from app.graphql.ide import graphiql_html
from app.graphql.operations import operation_summary
from app.graphql.persisted import PersistedQueries
from app.graphql.schema import AdmiralSchema
from app.kit.errors import ErrorCode, ServiceUnavailable
from app.kit.http import (
    BodyTooLarge,
    client_address,
    error_response,
    query_string_is_utf8,
    read_body,
    request_id_of,
)
from app.kit.jsonutil import JSONInputError, loads_from_client
from app.kit.requestlog import ERROR, USER_ERROR, note_actor, note_outcome
from app.runtime import Runtime

STATUS_BY_CODE = {
    ErrorCode.UNAUTHENTICATED.value: 401,
    ErrorCode.SERVICE_UNAVAILABLE.value: 503,
}


def unauthenticated(request: Request, message: str) -> Response:
    response = error_response(request, 401, ErrorCode.UNAUTHENTICATED, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
    return response


class AdmiralGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: AdmiralSchema, runtime: Runtime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.runtime = runtime
        self.limits = schema.limits
        self._ide_html = graphiql_html()
        self.persisted = PersistedQueries.from_settings(runtime.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return error_response(
                request, 405, ErrorCode.METHOD_NOT_ALLOWED, "Use GET for queries or POST."
            )
        if request.method == "GET" and not query_string_is_utf8(request.scope):
            return error_response(
                request,
                400,
                ErrorCode.BAD_REQUEST,
                "The query string is not valid UTF-8 once percent-decoded.",
            )
        if request.method == "GET" and self.should_render_graphql_ide(
            self.request_adapter_class(request)
        ):
            return await self.render_graphql_ide(request)
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return error_response(
                    request,
                    415,
                    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "Send the operation as JSON with `Content-Type: application/json`.",
                )
            try:
                request._body = await read_body(request, self.runtime.settings.max_body_bytes)
            except BodyTooLarge:
                return error_response(
                    request,
                    413,
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    f"The body exceeds {self.runtime.settings.max_body_bytes} bytes.",
                )
        reader = self.runtime.db.reader()
        try:
            principal = None
            header = request.headers.get("authorization")
            if header is not None:
                scheme, _, token = header.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    return unauthenticated(request, "Use `Authorization: Bearer <token>`.")
                principal = await authenticate(
                    token.strip(), reader, self.runtime.db, self.runtime.settings
                )
                if principal is None:
                    return unauthenticated(request, "The token is unknown, revoked or expired.")
            # Before the impersonation audit, which then summarises the persisted document.
            if (refusal := self.persisted.apply(request, principal)) is not None:
                return refusal
            if principal is not None and principal.is_impersonation:
                principal = principal.for_request(
                    request_id_of(request),
                    client_address(request, self.runtime.settings.trust_proxy_headers),
                )
                await record_impersonated_request(
                    self.runtime.db, principal, self._operation_details(request)
                )
            request.state.principal = principal
            request.state.reader = reader
            if principal is not None:
                note_actor(request.scope, principal.actor)
            try:
                return await self.run(request)
            except HTTPException as error:
                return error_response(request, error.status_code, _code_for(error), error.reason)
        except ServiceUnavailable as error:
            return error_response(request, 503, ErrorCode.SERVICE_UNAVAILABLE, error.message)
        finally:
            await reader.close()

    def _operation_details(self, request: Request) -> dict[str, Any]:
        """What an impersonated request asks for, for its audit event: never the document
        itself, whose literals may hold a password or a token."""
        query, operation_name = _query_and_operation_name(request)
        document = None
        # The parse execution uses too (cached by query text), so it is done once; an
        # unparsable document leaves the operation type unknown.
        if query is not None:
            with suppress(GraphQLError):
                document = self.limits.parse(query)
        return {"channel": "graphql", **operation_summary(document, operation_name)}

    async def _websocket_context(self, websocket: Any, response: Any) -> Context:
        """A WebSocket's context: its principal from the `Authorization` header if it has
        one (else from `connection_init`, see `on_ws_connect`)."""
        principal = None
        reader = self.runtime.db.reader()
        header = websocket.headers.get("authorization")
        if header is not None:
            principal = await self._principal_of(header, reader)
        request_id = request_id_of(websocket)
        address = client_address(websocket, self.runtime.settings.trust_proxy_headers)
        if principal is not None:
            note_actor(websocket.scope, principal.actor)
        return Context(
            request=websocket,
            response=response,
            runtime=self.runtime,
            reader=reader,
            principal=principal.for_request(request_id, address) if principal else None,
            request_id=request_id,
            client_addr=address,
        )

    async def _principal_of(self, header: str, reader: Any) -> Any:
        scheme, _, token = str(header).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await authenticate(token.strip(), reader, self.runtime.db, self.runtime.settings)

    async def on_ws_connect(self, context: Context) -> Any:
        """Accept a WebSocket only with credentials: the key header, or `Authorization` in the
        `connection_init` payload (the same tokens as over HTTP)."""
        if context.principal is None:
            params = context.connection_params or {}
            header = params.get("Authorization") or params.get("authorization")
            principal = await self._principal_of(header, context.reader) if header else None
            if principal is None:
                raise ConnectionRejectionError({"code": ErrorCode.UNAUTHENTICATED.value})
            context.principal = principal.for_request(context.request_id, context.client_addr)
        return UNSET

    async def get_context(self, request: Any, response: Any) -> Context:
        if request.scope.get("type") == "websocket":
            return await self._websocket_context(request, response)
        principal = request.state.principal
        request_id = request_id_of(request)
        return Context(
            request=request,
            response=response,
            runtime=self.runtime,
            reader=request.state.reader,
            principal=principal.for_request(
                request_id, client_address(request, self.runtime.settings.trust_proxy_headers)
            )
            if principal is not None
            else None,
            request_id=request_id,
            client_addr=client_address(request, self.runtime.settings.trust_proxy_headers),
        )

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_operation(*args, **kwargs)
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, "Mutations are only accepted by POST.") from error
            raise

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self._ide_html)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {}
        # A request refused before execution (authentication, parsing, validation) has no
        # `data` entry (GraphQL over HTTP), like every other HTTP-level error body; once
        # execution started, `data` is present even when null.
        if result.data is not None or any(item.path for item in result.errors or ()):
            data["data"] = result.data
        if result.errors:
            unexpected = any(not is_expected(item) for item in result.errors)
            note_outcome(request.scope, ERROR if unexpected else USER_ERROR)
            anonymous = getattr(request.state, "principal", None) is None
            request_id = request_id_of(request)
            data["errors"] = [
                format_error(item, request_id, anonymous=anonymous) for item in result.errors
            ]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def decode_json(self, data: str | bytes) -> object:
        try:
            return loads_from_client(data, self.runtime.settings.max_json_depth)
        except JSONInputError as error:
            # Strawberry's callers (the WebSocket protocols too) expect a JSONDecodeError.
            raise json.JSONDecodeError(str(error), "", 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        """The body, or GET's `variables` and `extensions`; a refusal is a 400 saying why."""
        try:
            parsed = self.decode_json(data)
        except json.JSONDecodeError as error:
            raise HTTPException(400, error.msg) from None
        # Strawberry expects an object (or a batch list); any other JSON value would crash it.
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, 'The body must be a JSON object: {"query": "…"}.')
        return parsed

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict):
            errors: list[dict[str, Any]] = list(response_data.get("errors") or [])  # type: ignore[arg-type]
            no_data = response_data.get("data") is None
            for item in errors:
                code = item.get("extensions", {}).get("code")
                status = STATUS_BY_CODE.get(code)
                # An unreachable database is a 503 even when other fields answered: the
                # client (and any load balancer) should retry, not read a half answer.
                if status is not None and (no_data or code == ErrorCode.SERVICE_UNAVAILABLE):
                    response.status_code = status
                    if status == 401:
                        response.headers["WWW-Authenticate"] = 'Bearer realm="admiral"'
                    break
        return response


def _code_for(error: HTTPException) -> ErrorCode:
    if error.status_code == 405:
        return ErrorCode.METHOD_NOT_ALLOWED
    return ErrorCode.BAD_REQUEST


def _query_and_operation_name(request: Request) -> tuple[str | None, str | None]:
    query: object = None
    operation: object = None
    if request.method == "GET":
        query = request.query_params.get("query")
        operation = request.query_params.get("operationName")
    else:
        try:
            body = orjson.loads(getattr(request, "_body", b"") or b"{}")
        except orjson.JSONDecodeError:
            body = {}
        if isinstance(body, dict):
            query, operation = body.get("query"), body.get("operationName")
    return (
        query if isinstance(query, str) else None,
        operation if isinstance(operation, str) else None,
    )
