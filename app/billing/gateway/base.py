"""The payment provider seen from billing: charge an invoice's amount, idempotently.

Two implementations: the local ledger (`local.py`, the default, no network) and Stripe
(`stripe.py`). `gateway_for(settings)` in this package chooses one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    invoice_id: uuid.UUID
    number: str | None
    customer_id: uuid.UUID
    amount: int  # minor units, > 0
    currency: str
    description: str
    # A provider that keeps its own customers (Stripe: `subscriptions.stripe_customer_id`);
    # None makes it create one.
    provider_customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChargeResult:
    succeeded: bool
    provider_payment_id: str | None = None  # Stripe: the invoice id (`invoices.stripe_invoice_id`)
    failure_message: str | None = None
    # The provider's customer charged (created when the request had none): store it.
    provider_customer_id: str | None = None


class BillingGateway(Protocol):
    name: str

    async def charge(
        self, charge: ChargeRequest, *, idempotency_key: str | None
    ) -> ChargeResult: ...
