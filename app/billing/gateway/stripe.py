"""Billing through Stripe, over the official `stripe` SDK.

Every method is one business step of a mutation and forwards that mutation's idempotency key:
a step that makes several Stripe calls derives one key per call (`<key>:<call>`), because Stripe
refuses one key reused with other parameters, and a retried mutation then replays each call.
The SDK is synchronous here (its `requests` client) and runs in a worker thread, so the event
loop never waits on Stripe. No SDK error leaves this module: a refusal is a `GatewayError` (or,
for `charge`, a failed `ChargeResult`), with Stripe's message, which names no secret.

Local state never claims what Stripe refused: call Stripe first, then commit, and register the
compensation of the call (the `undo_*` methods) with `call_then_commit`
(`stripe_compensation.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import stripe

from app.billing.gateway.stripe_types import (
    ChargeRequest,
    ChargeResult,
    CouponSpec,
    CreditNoteReason,
    GatewayError,
    PlanPrice,
    ProrationBehavior,
    ProviderSubscription,
    RefundTo,
)
from app.settings import Settings


def derived_key(key: str | None, call: str) -> str | None:
    """The idempotency key of one Stripe call of a mutation (None: the mutation sent none)."""
    return None if key is None else f"{key}:{call}"


def timestamp(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def subscription_of(obj: Mapping[str, Any]) -> ProviderSubscription:
    """A Stripe subscription object as Admiral reads it.

    Since API version 2025-03-31 the billing period lives on the subscription item; older
    versions (and emulators that speak them) put it on the subscription."""
    items = (obj.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or item.get("plan") or {}
    return ProviderSubscription(
        id=obj["id"],
        customer=obj["customer"],
        status=obj["status"],
        price=price.get("id"),
        item_id=item.get("id"),
        current_period_start=timestamp(
            item.get("current_period_start", obj.get("current_period_start"))
        ),
        current_period_end=timestamp(item.get("current_period_end", obj.get("current_period_end"))),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
    )


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = "https://api.stripe.com",
        max_network_retries: int = 2,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> StripeGateway:
        if settings.stripe_api_key is None:
            raise ValueError("ADMIRAL_STRIPE_API_KEY is not set")
        return cls(
            settings.stripe_api_key.get_secret_value(),
            api_base=settings.stripe_api_base,
            **options,
        )

    async def _call(
        self,
        method: Callable[..., Any],
        *args: Any,
        params: Mapping[str, Any] | None,
        key: str | None,
    ) -> dict[str, Any]:
        """One SDK call in a worker thread; Stripe's answer as plain dicts and lists."""
        options = {"idempotency_key": key} if key is not None else {}
        try:
            answer = await asyncio.to_thread(
                method, *args, params=cast(Any, dict(params or {})), options=cast(Any, options)
            )
            plain: dict[str, Any] = answer.to_dict()
            return plain
        except stripe.APIConnectionError:
            raise GatewayError("Stripe could not be reached; try again.") from None
        except stripe.StripeError as error:
            raise GatewayError(
                error.user_message or "Stripe refused the request.",
                code=error.code,
                status=error.http_status,
            ) from None

    # Customers -------------------------------------------------------------------------

    async def ensure_customer(
        self,
        *,
        customer_id: str,
        name: str,
        email: str | None = None,
        idempotency_key: str | None,
    ) -> str:
        """Create the Stripe customer of an Admiral customer (public id `cus_…`); its id."""
        params: dict[str, Any] = {"name": name, "metadata": {"admiral_customer_id": customer_id}}
        if email:
            params["email"] = email
        created = await self._call(
            self.client.v1.customers.create,
            params=params,
            key=derived_key(idempotency_key, "customer"),
        )
        return str(created["id"])

    async def undo_customer(self, stripe_customer_id: str) -> None:
        await self._call(self.client.v1.customers.delete, stripe_customer_id, params=None, key=None)

    async def grant_balance(
        self,
        stripe_customer_id: str,
        *,
        amount: int,
        currency: str,
        description: str,
        idempotency_key: str | None,
    ) -> str:
        """Credit the customer's Stripe balance by `amount` minor units; the transaction's id.

        Stripe counts a negative balance as credit the customer has, so a grant is negative."""
        created = await self._call(
            self.client.v1.customers.balance_transactions.create,
            stripe_customer_id,
            params={"amount": -amount, "currency": currency.lower(), "description": description},
            key=derived_key(idempotency_key, "balance"),
        )
        return str(created["id"])

    async def undo_balance(self, stripe_customer_id: str, *, amount: int, currency: str) -> str:
        created = await self._call(
            self.client.v1.customers.balance_transactions.create,
            stripe_customer_id,
            params={
                "amount": amount,
                "currency": currency.lower(),
                "description": "Reversal: the local grant failed",
            },
            key=None,
        )
        return str(created["id"])

    # Invoices and payments ---------------------------------------------------------------

    async def draft_invoice(self, charge: ChargeRequest, *, customer: str, key: str | None) -> str:
        """A Stripe draft invoice holding one item for the Admiral invoice; its id."""
        metadata = {"admiral_invoice_id": str(charge.invoice_id), "admiral_number": charge.number}
        await self._call(
            self.client.v1.invoice_items.create,
            params={
                "customer": customer,
                "amount": charge.amount,
                "currency": charge.currency.lower(),
                "description": charge.description,
                "metadata": metadata,
            },
            key=derived_key(key, "invoiceitem"),
        )
        invoice = await self._call(
            self.client.v1.invoices.create,
            params={
                "customer": customer,
                "description": f"Invoice {charge.number}",
                "metadata": metadata,
                # The item above is pending until an invoice includes it; Stripe's default
                # since 2022-08-01 is to leave pending items out.
                "pending_invoice_items_behavior": "include",
            },
            key=derived_key(key, "invoice"),
        )
        return str(invoice["id"])

    async def finalize_invoice(self, stripe_invoice_id: str, *, key: str | None) -> None:
        await self._call(
            self.client.v1.invoices.finalize_invoice,
            stripe_invoice_id,
            params={"auto_advance": False},
            key=derived_key(key, "finalize"),
        )

    async def pay_invoice(self, stripe_invoice_id: str, *, key: str | None) -> str:
        """Pay the invoice with the customer's default payment method; Stripe's status after."""
        paid = await self._call(
            self.client.v1.invoices.pay, stripe_invoice_id, params=None, key=derived_key(key, "pay")
        )
        return str(paid["status"])

    async def charge(self, charge: ChargeRequest, *, idempotency_key: str | None) -> ChargeResult:
        """Collect a finalized Admiral invoice: item, invoice, finalize, pay.

        Never raises for what Stripe refused (a declined card, a customer without a payment
        method): the result says it failed, with Stripe's message, and carries the Stripe
        invoice id when one was made, so a retry or a void can find it."""
        customer = charge.provider_customer_id
        invoice_id: str | None = None
        try:
            if customer is None:
                customer = await self.ensure_customer(
                    customer_id=str(charge.customer_id),
                    name=str(charge.customer_id),
                    idempotency_key=idempotency_key,
                )
            invoice_id = await self.draft_invoice(charge, customer=customer, key=idempotency_key)
            await self.finalize_invoice(invoice_id, key=idempotency_key)
            status = await self.pay_invoice(invoice_id, key=idempotency_key)
        except GatewayError as error:
            return ChargeResult(False, invoice_id, error.message, customer)
        if status != "paid":
            return ChargeResult(
                False, invoice_id, f"Stripe did not collect the invoice ({status}).", customer
            )
        return ChargeResult(True, invoice_id, None, customer)

    async def undo_charge(self, stripe_invoice_id: str, *, amount: int) -> str:
        """Refund a collected invoice in full (a credit note refunding the payment)."""
        return await self.create_credit_note(
            stripe_invoice_id,
            amount=amount,
            reason=CreditNoteReason.DUPLICATE,
            memo="Reversal: the local change failed",
            refund_to=RefundTo.ORIGINAL_PAYMENT,
            idempotency_key=None,
        )

    async def create_credit_note(
        self,
        stripe_invoice_id: str,
        *,
        amount: int,
        reason: CreditNoteReason,
        memo: str | None,
        refund_to: RefundTo | None,
        idempotency_key: str | None,
    ) -> str:
        """A credit note of `amount` on an invoice; its id.

        On an open invoice it lowers what is due (`refund_to` None); on a paid one the whole
        amount goes to the customer's balance or back to the original payment."""
        params: dict[str, Any] = {
            "invoice": stripe_invoice_id,
            "amount": amount,
            "reason": reason.value.lower(),
        }
        if memo:
            params["memo"] = memo
        if refund_to is RefundTo.CREDIT_BALANCE:
            params["credit_amount"] = amount
        elif refund_to is RefundTo.ORIGINAL_PAYMENT:
            params["refund_amount"] = amount
        created = await self._call(
            self.client.v1.credit_notes.create,
            params=params,
            key=derived_key(idempotency_key, "creditnote"),
        )
        return str(created["id"])

    async def undo_credit_note(self, credit_note_id: str) -> None:
        await self._call(
            self.client.v1.credit_notes.void_credit_note, credit_note_id, params=None, key=None
        )

    # Plans and subscriptions --------------------------------------------------------------

    async def ensure_plan(self, plan: PlanPrice, *, idempotency_key: str | None) -> str:
        """The Stripe plan (a recurring price) of a plan version, created once; its id."""
        try:
            found = await self._call(
                self.client.v1.plans.retrieve, plan.stripe_id, params=None, key=None
            )
            return str(found["id"])
        except GatewayError as error:
            if error.status != 404:
                raise
        created = await self._call(
            self.client.v1.plans.create,
            params={
                "id": plan.stripe_id,
                "amount": plan.amount,
                "currency": plan.currency.lower(),
                "interval": plan.interval.lower(),
                "product": {"name": plan.name},
            },
            key=derived_key(idempotency_key, "plan"),
        )
        return str(created["id"])

    async def create_subscription(
        self,
        stripe_customer_id: str,
        *,
        price: str,
        subscription_id: str,
        trial_end: datetime | None = None,
        coupon: str | None = None,
        idempotency_key: str | None,
    ) -> ProviderSubscription:
        """Subscribe the customer to a price (`ensure_plan`'s id); `subscription_id` is
        Admiral's public id, kept in the metadata so webhooks can be traced back."""
        params: dict[str, Any] = {
            "customer": stripe_customer_id,
            "items": [{"price": price}],
            "metadata": {"admiral_subscription_id": subscription_id},
        }
        if trial_end is not None:
            params["trial_end"] = int(trial_end.timestamp())
        if coupon is not None:
            params["discounts"] = [{"coupon": coupon}]
        created = await self._call(
            self.client.v1.subscriptions.create,
            params=params,
            key=derived_key(idempotency_key, "subscription"),
        )
        return subscription_of(created)

    async def update_subscription(
        self,
        stripe_subscription_id: str,
        *,
        price: str,
        proration_behavior: ProrationBehavior,
        proration_date: datetime | None = None,
        idempotency_key: str | None,
    ) -> ProviderSubscription:
        """Move the subscription's one item to another price, prorated as asked."""
        current = subscription_of(
            await self._call(
                self.client.v1.subscriptions.retrieve, stripe_subscription_id, params=None, key=None
            )
        )
        params: dict[str, Any] = {
            "items": [{"id": current.item_id, "price": price}],
            "proration_behavior": proration_behavior.stripe,
        }
        if proration_date is not None:
            params["proration_date"] = int(proration_date.timestamp())
        updated = await self._call(
            self.client.v1.subscriptions.update,
            stripe_subscription_id,
            params=params,
            key=derived_key(idempotency_key, "subscription-update"),
        )
        return subscription_of(updated)

    async def cancel_subscription(
        self, stripe_subscription_id: str, *, at_period_end: bool, idempotency_key: str | None
    ) -> ProviderSubscription:
        if at_period_end:
            updated = await self._call(
                self.client.v1.subscriptions.update,
                stripe_subscription_id,
                params={"cancel_at_period_end": True},
                key=derived_key(idempotency_key, "subscription-cancel"),
            )
        else:
            updated = await self._call(
                self.client.v1.subscriptions.cancel,
                stripe_subscription_id,
                params=None,
                key=derived_key(idempotency_key, "subscription-cancel"),
            )
        return subscription_of(updated)

    async def retrieve_subscription(self, stripe_subscription_id: str) -> ProviderSubscription:
        return subscription_of(
            await self._call(
                self.client.v1.subscriptions.retrieve, stripe_subscription_id, params=None, key=None
            )
        )

    async def resume_subscription(
        self, stripe_subscription_id: str, *, idempotency_key: str | None
    ) -> ProviderSubscription:
        """Keep a subscription that was set to cancel at its period end."""
        updated = await self._call(
            self.client.v1.subscriptions.update,
            stripe_subscription_id,
            params={"cancel_at_period_end": False},
            key=derived_key(idempotency_key, "subscription-resume"),
        )
        return subscription_of(updated)

    async def undo_subscription(self, stripe_subscription_id: str) -> None:
        await self._call(
            self.client.v1.subscriptions.cancel, stripe_subscription_id, params=None, key=None
        )

    # Coupons -------------------------------------------------------------------------------

    async def create_coupon(self, coupon: CouponSpec, *, idempotency_key: str | None) -> str:
        """The Stripe coupon of an Admiral coupon, under the same code; its id."""
        params: dict[str, Any] = {"id": coupon.code, "duration": coupon.duration.value.lower()}
        if coupon.percent_off is not None:
            params["percent_off"] = coupon.percent_off
        if coupon.amount_off is not None:
            params["amount_off"] = coupon.amount_off
            params["currency"] = (coupon.currency or "").lower()
        if coupon.duration_in_months is not None:
            params["duration_in_months"] = coupon.duration_in_months
        # Sent only when set: older API versions (and emulators) know none of them.
        if coupon.name is not None:
            params["name"] = coupon.name
        if coupon.max_redemptions is not None:
            params["max_redemptions"] = coupon.max_redemptions
        if coupon.redeem_by is not None:
            params["redeem_by"] = int(coupon.redeem_by.timestamp())
        created = await self._call(
            self.client.v1.coupons.create, params=params, key=derived_key(idempotency_key, "coupon")
        )
        return str(created["id"])

    async def undo_coupon(self, coupon_id: str) -> None:
        await self._call(self.client.v1.coupons.delete, coupon_id, params=None, key=None)
