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
_SUBSCRIPTION = {
    "subscriptionId": "sub_0192f7c3b5d87a1e9c4b2a6d8e0f1a2f",
    "customerId": _CUSTOMER["customerId"],
    "planCode": "pro",
    "planVersion": 1,
    "amount": 4900,
    "currency": "USD",
    "interval": "MONTH",
    "status": "ACTIVE",
    "trialEnd": None,
    "currentPeriodStart": "2026-12-01T00:00:00Z",
    "currentPeriodEnd": "2027-01-01T00:00:00Z",
    "cancelAtPeriodEnd": False,
    "cancelReason": None,
    "limitsOverride": None,
    "billingOverride": False,
}
_INVOICE = {
    "invoiceId": "in_0192f7c3b5d87a1e9c4b2a6d8e0f1a30",
    "customerId": _CUSTOMER["customerId"],
    "number": "2026-000001",
    "status": "OPEN",
    "currency": "USD",
    "total": 4900,
    "amountDue": 4900,
    "amountPaid": 0,
}
_DISCOUNT = {
    "discountId": "dsc_0192f7c3b5d87a1e9c4b2a6d8e0f1a32",
    "customerId": _CUSTOMER["customerId"],
    "couponId": "cpn_0192f7c3b5d87a1e9c4b2a6d8e0f1a33",
    "code": "SPRING-25",
    "startedAt": "2026-12-01T00:00:00Z",
    "endsAt": "2027-03-01T00:00:00Z",
    "removedAt": None,
}
_LICENSE = {
    "licenseId": "lic_0192f7c3b5d87a1e9c4b2a6d8e0f1a35",
    "customerId": _CUSTOMER["customerId"],
    "status": "ACTIVE",
    "entitlements": ["sso", "audit-export"],
    "maxMachines": 5,
    "expiresAt": "2027-12-01T00:00:00Z",
}
_API_KEY = {
    "keyId": "key_0192f7c3b5d87a1e9c4b2a6d8e0f1a34",
    "customerId": _CUSTOMER["customerId"],
    "projectId": None,
    "name": "production",
    "start": "ak_live_3Fq",
    "environment": "LIVE",
    "scopes": ["verify"],
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
        _event("subscription.created", "A subscription started.", _SUBSCRIPTION),
        _event(
            "subscription.updated",
            "The subscription's plan, trial, limits, override or renewal state changed.",
            _SUBSCRIPTION,
        ),
        _event("subscription.canceled", "The subscription ended.", _SUBSCRIPTION),
        _event(
            "subscription.trial_ended",
            "The trial ended at renewal (the subscription is ACTIVE, or PAST_DUE when the first "
            "payment failed).",
            _SUBSCRIPTION,
        ),
        _event("invoice.finalized", "An invoice was finalized (it has a number).", _INVOICE),
        _event("invoice.paid", "An invoice was paid in full.", {**_INVOICE, "status": "PAID"}),
        _event("invoice.payment_failed", "A payment attempt on an invoice failed.", _INVOICE),
        _event("invoice.voided", "An invoice was voided.", {**_INVOICE, "status": "VOID"}),
        _event(
            "invoice.marked_uncollectible",
            "An invoice was marked uncollectible.",
            {**_INVOICE, "status": "UNCOLLECTIBLE"},
        ),
        _event(
            "credit_note.created",
            "A credit note was issued on an invoice.",
            {
                "creditNoteId": "cnt_0192f7c3b5d87a1e9c4b2a6d8e0f1a31",
                "number": "CN-2026-000001",
                "invoiceId": _INVOICE["invoiceId"],
                "amount": 1000,
                "currency": "USD",
                "refundTo": "CREDIT_BALANCE",
            },
        ),
        _event("discount.created", "A coupon was applied to the customer.", _DISCOUNT),
        _event("discount.removed", "A discount was removed.", _DISCOUNT),
        _event("license.issued", "A license was issued.", _LICENSE),
        _event(
            "license.updated", "A license's expiry, machines or entitlements changed.", _LICENSE
        ),
        _event(
            "license.suspended",
            "A license was suspended (by an operator, or because billing lapsed).",
            {**_LICENSE, "status": "SUSPENDED"},
        ),
        _event("license.reinstated", "A suspended license was reinstated.", _LICENSE),
        _event(
            "license.reissued", "A license got a new key; the old one no longer works.", _LICENSE
        ),
        _event("license.revoked", "A license was revoked.", {**_LICENSE, "status": "REVOKED"}),
        _event(
            "usage.threshold_reached",
            "The customer's usage this month reached 80 % or 100 % of its monthly quota.",
            {
                "customerId": _CUSTOMER["customerId"],
                "threshold": 80,
                "month": "2026-12",
                "used": 1_600_000,
                "quota": 2_000_000,
            },
        ),
        _event("api_key.created", "An API key was created.", _API_KEY),
        _event("api_key.revoked", "An API key was revoked.", _API_KEY),
        _event(
            "api_key.rotated", "An API key was rotated (the old one lives out its grace).", _API_KEY
        ),
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
