"""POST /webhooks/stripe: Stripe's events, verified, stored once, applied.

Answers: 200 for every verified event (also a repeat, or one Admiral does not act on: Stripe
stops resending it); 400 `SIGNATURE_INVALID` when `Stripe-Signature` does not verify with the
signing secret or its timestamp is more than 300 s away, either way; 503 while no secret is
configured (Stripe keeps the event and retries).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import sqlalchemy as sa
import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.billing.gateway.events import Applied, StripeEventView
from app.billing.gateway.stripe_state import billing_state
from app.billing.gateway.stripe_webhooks import StateFor, receive
from app.kit.actor import Actor, ActorType
from app.kit.errors import ErrorCode
from app.kit.http import BodyTooLarge, read_body, request_id_of
from app.kit.uow import UnitOfWork
from app.rest.common import RestError, endpoint, in_unit_of_work
from app.runtime import Runtime
from app.settings import Settings

TOLERANCE_SECONDS = 300


def verified_event(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, once its signature verified (the SDK's check: HMAC-SHA256, 300 s)."""
    refused = RestError(
        400, ErrorCode.SIGNATURE_INVALID, "The Stripe-Signature header does not verify."
    )
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
        event = orjson.loads(payload)
    except (stripe.SignatureVerificationError, ValueError):
        raise refused from None
    if not _recent(signature or ""):
        raise refused
    if not isinstance(event, dict) or not {"id", "type", "created"} <= event.keys():
        raise RestError(400, ErrorCode.BAD_REQUEST, "The body is not a Stripe event.")
    return event


def _recent(signature: str) -> bool:
    """The SDK refuses timestamps older than the tolerance; this refuses those as far ahead
    (a signature made for later replays)."""
    stamps = [part[2:] for part in signature.split(",") if part.startswith("t=")]
    return (
        bool(stamps) and stamps[0].isdigit() and int(stamps[0]) <= time.time() + TOLERANCE_SECONDS
    )


def state_for(request: Request) -> StateFor:
    # The app may carry another implementation (tests exercise the rules end to end with one).
    found: StateFor = getattr(request.app.state, "stripe_billing_state", billing_state)
    return found


@endpoint
async def stripe_webhook(request: Request, runtime: Runtime) -> JSONResponse:
    secret = runtime.settings.stripe_webhook_secret
    if secret is None:
        raise RestError(503, ErrorCode.SERVICE_UNAVAILABLE, "Stripe webhooks are not configured.")
    try:
        payload = await read_body(request, runtime.settings.max_body_bytes)
    except BodyTooLarge:
        raise RestError(413, ErrorCode.PAYLOAD_TOO_LARGE, "The body is too large.") from None
    event = StripeEventView.of(
        verified_event(payload, request.headers.get("stripe-signature"), secret.get_secret_value())
    )
    actor = Actor(ActorType.SYSTEM, "stripe-webhook", request_id=request_id_of(request))
    make_state = state_for(request)

    async def work(uow: UnitOfWork) -> Applied | None:
        return await receive(uow, event, make_state(uow))

    try:
        applied = await in_unit_of_work(runtime, actor, work)
    except sa.exc.IntegrityError:
        applied = None  # the same event, delivered twice at once: the other delivery applied it
    if applied is None:
        return JSONResponse({"received": True, "id": event.id, "duplicate": True})
    return JSONResponse({"received": True, "id": event.id, "status": applied.outcome.value})


def routes(settings: Settings) -> list[BaseRoute]:
    return [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
