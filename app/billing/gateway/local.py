"""The local ledger gateway: the product works fully without a payment provider.

Every charge succeeds; the payment is recorded locally (the invoice's payment attempt holds it),
with a provider id derived from the idempotency key when there is one, so a retried charge
names the same payment.
"""

from __future__ import annotations

import hashlib

from app.billing.gateway.base import ChargeRequest, ChargeResult


class LocalLedgerGateway:
    name = "local"

    async def charge(self, charge: ChargeRequest, *, idempotency_key: str | None) -> ChargeResult:
        seed = f"{charge.invoice_id}:{idempotency_key or charge.amount}"
        digest = hashlib.sha256(seed.encode()).hexdigest()[:24]
        return ChargeResult(succeeded=True, provider_payment_id=f"local_{digest}")


class DecliningGateway:
    """The local ledger with a declining test payment method (a customer's test clock says
    so): every charge is refused, so failed renewals and their retries can be rehearsed."""

    name = "local"

    async def charge(self, charge: ChargeRequest, *, idempotency_key: str | None) -> ChargeResult:
        return ChargeResult(
            succeeded=False, failure_message="Your card was declined (test payment method)."
        )
