"""Payment gateways: the protocol billing calls, and the one place that picks an implementation."""

from __future__ import annotations

from app.billing.gateway.base import BillingGateway, ChargeRequest, ChargeResult
from app.billing.gateway.local import LocalLedgerGateway
from app.settings import Settings


def gateway_for(settings: Settings) -> BillingGateway:
    """The gateway the settings choose: the local ledger unless a Stripe key is configured."""
    if settings.stripe_api_key is not None:
        # Imported here: the SDK is only loaded by processes that talk to Stripe.
        from app.billing.gateway.stripe import StripeGateway

        return StripeGateway.from_settings(settings)
    return LocalLedgerGateway()


__all__ = ["BillingGateway", "ChargeRequest", "ChargeResult", "LocalLedgerGateway", "gateway_for"]
