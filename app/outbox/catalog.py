"""The catalogue of events customers can subscribe to, one line each, with a sample payload.

Every webhook event a service publishes (`uow.publish(type, data, customer_id=...)`) is listed
here; `webhookEventTypes` shows this list, endpoints may subscribe only to these types, and a
test checks every published type is listed. Another domain adds its events with one line each
(`subscription.updated`, `invoice.paid`, `api_key.created`, …) in `EVENTS` below.

Payloads are versioned envelopes `{type, timestamp, data}` (`envelope`); `data` never carries
secrets (no tokens, links or hashes), only public ids and the fields an integrator needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENVELOPE_VERSION = "2026-12-01"

_USER = {"userId": "usr_0192f7c3b5d87a1e9c4b2a6d8e0f1a2b", "email": "ada@example.com"}
_CUSTOMER = {"customerId": "cus_0192f7c3b5d87a1e9c4b2a6d8e0f1a2c", "slug": "acme"}
_MEMBER = {
    **_CUSTOMER,
    "membershipId": "mem_0192f7c3b5d87a1e9c4b2a6d8e0f1a2d",
    "userId": _USER["userId"],
    "role": "ADMIN",
}


@dataclass(frozen=True, slots=True)
class EventType:
    type: str
    description: str
    sample: dict[str, Any]


def _event(type: str, description: str, sample: dict[str, Any]) -> tuple[str, EventType]:
    return type, EventType(type, description, sample)


EVENTS: dict[str, EventType] = dict(
    [
        _event("user.suspended", "A member user was suspended.", {**_USER, "until": None}),
        _event("user.unsuspended", "A member user's suspension was lifted.", _USER),
        _event("user.blocked", "A member user was blocked.", _USER),
        _event("user.unblocked", "A member user was unblocked.", _USER),
        _event("user.deleted", "A member user was deleted.", {"userId": _USER["userId"]}),
        _event("customer.created", "The customer account was created.", _CUSTOMER),
        _event(
            "customer.updated",
            "The customer's name, slug or billing email changed.",
            {**_CUSTOMER, "changed": ["name"]},
        ),
        _event("customer.deactivated", "The customer account was deactivated.", _CUSTOMER),
        _event("customer.reactivated", "The customer account was reactivated.", _CUSTOMER),
        _event("member.added", "A user joined the customer.", _MEMBER),
        _event("member.removed", "A user left the customer.", _MEMBER),
        _event("member.role_changed", "A member's role changed.", _MEMBER),
        _event(
            "webhook_endpoint.disabled",
            "One of the customer's endpoints was disabled after failing (or answering 410).",
            {
                "endpointId": "whe_0192f7c3b5d87a1e9c4b2a6d8e0f1a2e",
                "url": "https://example.com/hooks",
                "reason": "Failing for 5 days.",
            },
        ),
        # Billing and API keys add their events here, one line each.
    ]
)

# Sent on request only (`webhookEndpointTest`), to one endpoint: not subscribable.
TEST_EVENT = EventType(
    "webhook.test", "A test event sent on request.", {"message": "This is a test event."}
)

# Mails are published to the same outbox under this prefix (`app/outbox/mail.py`); they are
# never sent to webhook endpoints.
MAIL_PREFIX = "mail."


def subscribable(event_type: str) -> bool:
    return event_type in EVENTS


def envelope(event_type: str, timestamp: str, data: dict[str, Any]) -> dict[str, Any]:
    """The body of a webhook: the event's type, when it happened, what it is about."""
    return {"type": event_type, "timestamp": timestamp, "version": ENVELOPE_VERSION, "data": data}
