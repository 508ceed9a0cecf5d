"""A small Stripe-shaped HTTP server for what localstripe lacks: prices on subscriptions,
`proration_behavior`, invoice finalize, credit notes, customer balance transactions.

It checks every parameter the gateway sends against the documented ones of each endpoint (an
unknown parameter, a missing required one, or a value outside the documented set answers
Stripe's 400 error shape), answers with the documented object shapes (API 2025-03-31 and
later: the billing period on subscription items, the invoice's subscription under `parent`),
replays a repeated idempotency key like Stripe, and records every request.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

METADATA = r"metadata\[[a-z_]+\]"


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, **extra: str) -> None:
        super().__init__(message)
        self.status, self.body = status, {"type": type_, "message": message, **extra}


def invalid(message: str, param: str | None = None, code: str = "parameter_invalid") -> StripeError:
    extra = {"code": code} | ({"param": param} if param else {})
    return StripeError(400, "invalid_request_error", message, **extra)


def check(
    params: dict[str, str],
    allowed: dict[str, str | set[str] | None],
    required: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Every key must match an allowed pattern; a set lists the values it may take."""
    for key, value in params.items():
        for pattern, values in allowed.items():
            if re.fullmatch(pattern, key):
                if isinstance(values, set) and value not in values:
                    raise invalid(f"Invalid value for {key}: {value}", key)
                if values == "int" and not re.fullmatch(r"-?\d+", value):
                    raise invalid(f"Invalid integer: {value}", key)
                break
        else:
            raise invalid(f"Received unknown parameter: {key}", key, "parameter_unknown")
    for key in required:
        if key not in params:
            raise invalid(f"Missing required param: {key}.", key, "parameter_missing")


@dataclass
class FakeStripe:
    requests: list[Recorded] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    declining_customers: set[str] = field(default_factory=set)
    # "<METHOD> <path>" → the message of a card error Stripe answers it with (402).
    refusing: dict[str, str] = field(default_factory=dict)
    _replies: dict[str, tuple[str, dict[str, str], int, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):08d}"

    def keys_of(self, path_prefix: str) -> list[str | None]:
        return [r.idempotency_key for r in self.requests if r.path.startswith(path_prefix)]

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        found = self.objects.get(object_id)
        if found is None or found["object"] != kind:
            raise StripeError(
                404,
                "invalid_request_error",
                f"No such {kind}: '{object_id}'",
                code="resource_missing",
            )
        return found

    def store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    # Endpoints ------------------------------------------------------------------------------

    def customers_create(self, p: dict[str, str]) -> Any:
        check(p, {"name": None, "email": None, METADATA: None})
        return self.store(
            {
                "id": self.new_id("cus"),
                "object": "customer",
                "name": p.get("name"),
                "email": p.get("email"),
                "balance": 0,
                "metadata": metadata(p),
                "created": int(time.time()),
            }
        )

    def customers_delete(self, p: dict[str, str], customer: str) -> Any:
        check(p, {})
        self.get("customer", customer)
        del self.objects[customer]
        return {"id": customer, "object": "customer", "deleted": True}

    def balance_create(self, p: dict[str, str], customer: str) -> Any:
        check(
            p,
            {"amount": "int", "currency": None, "description": None, METADATA: None},
            {"amount", "currency"},
        )
        owner = self.get("customer", customer)
        owner["balance"] += int(p["amount"])
        return self.store(
            {
                "id": self.new_id("cbtxn"),
                "object": "customer_balance_transaction",
                "amount": int(p["amount"]),
                "currency": p["currency"],
                "customer": customer,
                "description": p.get("description"),
                "ending_balance": owner["balance"],
                "type": "adjustment",
                "created": int(time.time()),
            }
        )

    def invoiceitems_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "customer": None,
                "amount": "int",
                "currency": None,
                "description": None,
                "invoice": None,
                METADATA: None,
            },
            {"customer", "amount", "currency"},
        )
        self.get("customer", p["customer"])
        return self.store(
            {
                "id": self.new_id("ii"),
                "object": "invoiceitem",
                "customer": p["customer"],
                "amount": int(p["amount"]),
                "currency": p["currency"],
                "description": p.get("description"),
                "invoice": p.get("invoice"),
                "metadata": metadata(p),
            }
        )

    def invoices_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "customer": None,
                "description": None,
                METADATA: None,
                "auto_advance": {"true", "false"},
                "pending_invoice_items_behavior": {"include", "exclude"},
            },
            {"customer"},
        )
        self.get("customer", p["customer"])
        invoice_id = self.new_id("in")
        lines = []
        if p.get("pending_invoice_items_behavior") == "include":
            for item in self.objects.values():
                if (
                    item["object"] == "invoiceitem"
                    and item["customer"] == p["customer"]
                    and item["invoice"] is None
                ):
                    item["invoice"] = invoice_id
                    lines.append(
                        {
                            "id": item["id"],
                            "amount": item["amount"],
                            "currency": item["currency"],
                            "description": item["description"],
                        }
                    )
        total = sum(line["amount"] for line in lines)
        return self.store(
            {
                "id": invoice_id,
                "object": "invoice",
                "customer": p["customer"],
                "status": "draft",
                "currency": lines[0]["currency"] if lines and "currency" in lines[0] else "usd",
                "total": total,
                "amount_due": total,
                "amount_paid": 0,
                "lines": {"object": "list", "data": lines},
                "metadata": metadata(p),
                "parent": None,
                "created": int(time.time()),
            }
        )

    def invoices_finalize(self, p: dict[str, str], invoice: str) -> Any:
        check(p, {"auto_advance": {"true", "false"}})
        found = self.get("invoice", invoice)
        if found["status"] != "draft":
            raise invalid("This invoice is already finalized.", code="invoice_not_editable")
        found["status"] = "open"
        return found

    def invoices_pay(self, p: dict[str, str], invoice: str) -> Any:
        check(p, {})
        found = self.get("invoice", invoice)
        if found["status"] != "open":
            raise invalid(
                f"Invoice is {found['status']}; only open invoices can be paid.",
                code="invoice_not_open",
            )
        if found["customer"] in self.declining_customers:
            raise StripeError(
                402,
                "card_error",
                "Your card was declined.",
                code="card_declined",
                decline_code="generic_decline",
            )
        found["status"] = "paid"
        found["amount_paid"], found["amount_due"] = found["total"], 0
        return found

    def credit_notes_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "invoice": None,
                "amount": "int",
                "reason": {"duplicate", "fraudulent", "order_change", "product_unsatisfactory"},
                "memo": None,
                "credit_amount": "int",
                "refund_amount": "int",
                "out_of_band_amount": "int",
            },
            {"invoice", "amount"},
        )
        invoice = self.get("invoice", p["invoice"])
        amount = int(p["amount"])
        if invoice["status"] not in ("open", "paid"):
            raise invalid("Credit notes are only for open or paid invoices.", "invoice")
        if amount > invoice["total"]:
            raise invalid("The amount exceeds what remains on the invoice.", "amount")
        spread = sum(
            int(p.get(k, "0")) for k in ("credit_amount", "refund_amount", "out_of_band_amount")
        )
        if invoice["status"] == "paid" and spread != amount:
            raise invalid(
                "On a paid invoice, credit_amount + refund_amount + out_of_band_amount must equal amount.",
                "amount",
            )
        return self.store(
            {
                "id": self.new_id("cn"),
                "object": "credit_note",
                "invoice": p["invoice"],
                "amount": amount,
                "reason": p.get("reason"),
                "memo": p.get("memo"),
                "status": "issued",
                "refunds": [{"amount_refunded": int(p["refund_amount"])}]
                if "refund_amount" in p
                else [],
                "created": int(time.time()),
            }
        )

    def credit_notes_void(self, p: dict[str, str], credit_note: str) -> Any:
        check(p, {})
        found = self.get("credit_note", credit_note)
        found["status"] = "void"
        return found

    def subscriptions_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "customer": None,
                r"items\[0\]\[price\]": None,
                METADATA: None,
                "trial_end": "int",
                r"discounts\[0\]\[coupon\]": None,
            },
            {"customer", "items[0][price]"},
        )
        self.get("customer", p["customer"])
        now = int(time.time())
        start = now
        trial_end = int(p["trial_end"]) if "trial_end" in p else None
        return self.store(
            {
                "id": self.new_id("sub"),
                "object": "subscription",
                "customer": p["customer"],
                "status": "trialing" if trial_end else "active",
                "cancel_at_period_end": False,
                "trial_end": trial_end,
                "metadata": metadata(p),
                "discounts": [p["discounts[0][coupon]"]] if "discounts[0][coupon]" in p else [],
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": self.new_id("si"),
                            "object": "subscription_item",
                            "price": {"id": p["items[0][price]"], "object": "price"},
                            "current_period_start": start,
                            "current_period_end": trial_end or start + 30 * 86400,
                        }
                    ],
                },
                "created": now,
            }
        )

    def subscriptions_retrieve(self, p: dict[str, str], subscription: str) -> Any:
        check(p, {})
        return self.get("subscription", subscription)

    def subscriptions_update(self, p: dict[str, str], subscription: str) -> Any:
        check(
            p,
            {
                r"items\[0\]\[id\]": None,
                r"items\[0\]\[price\]": None,
                "proration_behavior": {"create_prorations", "always_invoice", "none"},
                "proration_date": "int",
                "cancel_at_period_end": {"true", "false"},
            },
        )
        found = self.get("subscription", subscription)
        if found["status"] == "canceled":
            raise invalid("A canceled subscription can't be updated.")
        item = found["items"]["data"][0]
        if "items[0][price]" in p:
            if p.get("items[0][id]") != item["id"]:
                raise invalid("items[0][id] must name the subscription's item.", "items[0][id]")
            if "proration_behavior" not in p:
                raise invalid("Send proration_behavior with a price change.", "proration_behavior")
            item["price"] = {"id": p["items[0][price]"], "object": "price"}
        if "cancel_at_period_end" in p:
            found["cancel_at_period_end"] = p["cancel_at_period_end"] == "true"
        return found

    def subscriptions_cancel(self, p: dict[str, str], subscription: str) -> Any:
        check(p, {})
        found = self.get("subscription", subscription)
        found["status"] = "canceled"
        return found

    def plans_retrieve(self, p: dict[str, str], plan: str) -> Any:
        check(p, {})
        return self.get("plan", plan)

    def plans_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "id": None,
                "amount": "int",
                "currency": None,
                "interval": {"month", "year"},
                r"product\[name\]": None,
            },
            {"amount", "currency", "interval", "product[name]"},
        )
        if p.get("id") in self.objects:
            raise invalid("Plan already exists.", "id", "resource_already_exists")
        return self.store(
            {
                "id": p.get("id") or self.new_id("plan"),
                "object": "plan",
                "amount": int(p["amount"]),
                "currency": p["currency"],
                "interval": p["interval"],
                "product": self.new_id("prod"),
            }
        )

    def coupons_create(self, p: dict[str, str]) -> Any:
        check(
            p,
            {
                "id": None,
                "duration": {"once", "repeating", "forever"},
                "percent_off": None,
                "amount_off": "int",
                "currency": None,
                "duration_in_months": "int",
                "name": None,
                "max_redemptions": "int",
                "redeem_by": "int",
            },
            {"duration"},
        )
        if ("percent_off" in p) == ("amount_off" in p):
            raise invalid("Send exactly one of percent_off and amount_off.", "percent_off")
        if ("duration_in_months" in p) != (p["duration"] == "repeating"):
            raise invalid("duration_in_months is for repeating coupons only.", "duration_in_months")
        return self.store(
            {
                "id": p.get("id") or self.new_id("co"),
                "object": "coupon",
                "duration": p["duration"],
                "percent_off": float(p["percent_off"]) if "percent_off" in p else None,
                "amount_off": int(p["amount_off"]) if "amount_off" in p else None,
                "currency": p.get("currency"),
                "valid": True,
            }
        )

    def coupons_delete(self, p: dict[str, str], coupon: str) -> Any:
        check(p, {})
        self.get("coupon", coupon)
        del self.objects[coupon]
        return {"id": coupon, "object": "coupon", "deleted": True}

    # Serving --------------------------------------------------------------------------------

    def app(self) -> Starlette:
        routes = [
            ("POST", "/v1/customers", self.customers_create),
            ("DELETE", "/v1/customers/{id}", self.customers_delete),
            ("POST", "/v1/customers/{id}/balance_transactions", self.balance_create),
            ("POST", "/v1/invoiceitems", self.invoiceitems_create),
            ("POST", "/v1/invoices", self.invoices_create),
            ("POST", "/v1/invoices/{id}/finalize", self.invoices_finalize),
            ("POST", "/v1/invoices/{id}/pay", self.invoices_pay),
            ("POST", "/v1/credit_notes", self.credit_notes_create),
            ("POST", "/v1/credit_notes/{id}/void", self.credit_notes_void),
            ("POST", "/v1/subscriptions", self.subscriptions_create),
            ("GET", "/v1/subscriptions/{id}", self.subscriptions_retrieve),
            ("POST", "/v1/subscriptions/{id}", self.subscriptions_update),
            ("DELETE", "/v1/subscriptions/{id}", self.subscriptions_cancel),
            ("GET", "/v1/plans/{id}", self.plans_retrieve),
            ("POST", "/v1/plans", self.plans_create),
            ("POST", "/v1/coupons", self.coupons_create),
            ("DELETE", "/v1/coupons/{id}", self.coupons_delete),
        ]
        return Starlette(
            routes=[Route(path, self._endpoint(h), methods=[m]) for m, path, h in routes]
        )

    def _endpoint(self, handler: Callable[..., Any]) -> Callable[[Request], Any]:
        async def run(request: Request) -> JSONResponse:
            body = (await request.body()).decode()
            params = dict(parse_qsl(body or request.url.query, keep_blank_values=True))
            key = request.headers.get("idempotency-key")
            self.requests.append(Recorded(request.method, request.url.path, params, key))
            if not request.headers.get("authorization", "").startswith("Bearer sk_test_"):
                return JSONResponse(
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "message": "Invalid API Key provided",
                        }
                    },
                    401,
                )
            if key is not None and key in self._replies:
                path, earlier, status, reply = self._replies[key]
                if (path, earlier) != (request.url.path, params):
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    }
                    return JSONResponse({"error": error}, 400)
                return JSONResponse(reply, status, headers={"Idempotent-Replayed": "true"})
            refusal = self.refusing.get(f"{request.method} {request.url.path}")
            if refusal is not None:
                error = {"type": "card_error", "code": "card_declined", "message": refusal}
                return JSONResponse({"error": error}, 402)
            try:
                status, reply = 200, handler(params, *request.path_params.values())
            except StripeError as error:
                status, reply = error.status, {"error": error.body}
            if key is not None:
                self._replies[key] = (request.url.path, params, status, reply)
            return JSONResponse(reply, status)

        return run


def metadata(params: dict[str, str]) -> dict[str, str]:
    return {key[9:-1]: value for key, value in params.items() if key.startswith("metadata[")}
