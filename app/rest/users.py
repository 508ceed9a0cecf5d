"""REST endpoints of the users domain: password reset links and feedback."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.kit.actor import Actor, ActorType
from app.kit.errors import ErrorCode
from app.kit.http import client_address, request_id_of
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import Feedback, User
from app.rest.common import (
    RestError,
    bearer_principal,
    endpoint,
    in_unit_of_work,
    json_object,
    string_field,
)
from app.runtime import Runtime
from app.settings import Settings
from app.users import service


@endpoint
async def password_reset(request: Request, runtime: Runtime) -> JSONResponse:
    """POST /v1/password-reset {token, password}: consume a one-time reset link."""
    body = await json_object(request)
    token = string_field(body, "token")
    password = string_field(body, "password")
    assert token is not None
    assert password is not None
    actor = Actor(
        ActorType.SYSTEM,
        "password-reset",
        request_id=request_id_of(request),
        client_addr=client_address(request, runtime.settings.trust_proxy_headers),
    )

    async def work(uow: UnitOfWork) -> User:
        user = await service.complete_password_reset(
            uow, runtime.passwords, token=token, password=password
        )
        uow.act_as(replace(uow.actor, type=ActorType.USER, id=encode(User.PREFIX, user.id)))
        return user

    user = await in_unit_of_work(runtime, actor, work)
    return JSONResponse({"ok": True, "userId": encode(User.PREFIX, user.id)})


@endpoint
async def feedback(request: Request, runtime: Runtime) -> JSONResponse:
    """POST /v1/feedback {kind, message, rating?, page?} with a signed-in user's session token."""
    principal = await bearer_principal(request, runtime)
    if principal.user_id is None:
        raise RestError(403, ErrorCode.FORBIDDEN, "Feedback is sent with a user's session token.")
    if principal.read_only:
        raise RestError(403, ErrorCode.READ_ONLY_SESSION, "This session is read-only.")
    body = await json_object(request)
    rating = body.get("rating")
    if rating is not None and (not isinstance(rating, int) or isinstance(rating, bool)):
        raise RestError(400, ErrorCode.INVALID, "`rating` is an integer from 1 to 5.", ["rating"])
    user_id = principal.user_id

    async def work(uow: UnitOfWork) -> Feedback:
        return await service.submit_feedback(
            uow,
            user_id=user_id,
            kind=string_field(body, "kind") or "",
            message=string_field(body, "message") or "",
            rating=rating,
            page=string_field(body, "page", required=False),
        )

    created = await in_unit_of_work(runtime, principal.actor, work)
    return JSONResponse(
        {
            "id": encode(Feedback.PREFIX, created.id),
            "kind": created.kind.value,
            "rating": created.rating,
            "createdAt": created.created_at.isoformat(),
        },
        status_code=201,
    )


def routes(settings: Settings) -> list[BaseRoute]:
    return [
        Route("/v1/password-reset", password_reset, methods=["POST"]),
        Route("/v1/feedback", feedback, methods=["POST"]),
    ]
