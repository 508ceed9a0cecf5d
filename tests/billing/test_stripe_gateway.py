"""The Stripe gateway, the real SDK making real HTTP calls to the Stripe-shaped test server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.billing.gateway.stripe import StripeGateway
from app.billing.gateway.stripe_types import (
    ChargeRequest,
    CouponDuration,
    CouponSpec,
    CreditNoteReason,
    GatewayError,
    PlanPrice,
    ProrationBehavior,
    RefundTo,
)
from app.settings import Settings
from tests.billing.fake_stripe import FakeStripe


def charge_for(customer: str | None, amount: int = 12_500) -> ChargeRequest:
    return ChargeRequest(
        invoice_id=uuid.uuid4(),
        number="2026-000042",
        customer_id=uuid.uuid4(),
        amount=amount,
        currency="USD",
        description="Growth plan, December 2026",
        provider_customer_id=customer,
    )


async def customer(gateway: StripeGateway, key: str | None = None) -> str:
    return await gateway.ensure_customer(
        customer_id="cus_0001", name="Acme", email="billing@acme.test", idempotency_key=key
    )


async def test_ensure_customer_creates_one_and_forwards_the_idempotency_key(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    created = await customer(gateway, "mutation-key-1")
    assert created.startswith("cus_")
    assert fake.objects[created]["metadata"] == {"admiral_customer_id": "cus_0001"}
    assert fake.objects[created]["email"] == "billing@acme.test"
    assert fake.keys_of("/v1/customers") == ["mutation-key-1:customer"]


async def test_a_replayed_mutation_replays_each_stripe_call(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    first = await customer(gateway, "same-key")
    again = await customer(gateway, "same-key")
    assert first == again
    assert sum(1 for obj in fake.objects.values() if obj["object"] == "customer") == 1


async def test_charge_makes_an_item_an_invoice_finalizes_and_pays_it(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    buyer = await customer(gateway)
    request = charge_for(buyer)
    result = await gateway.charge(request, idempotency_key="pay-1")
    assert result.succeeded
    assert result.failure_message is None
    assert result.provider_customer_id == buyer
    invoice = fake.objects[result.provider_payment_id or ""]
    assert invoice["status"] == "paid"
    assert invoice["total"] == 12_500
    assert invoice["lines"]["data"][0]["currency"] == "usd"
    assert invoice["metadata"] == {
        "admiral_invoice_id": str(request.invoice_id),
        "admiral_number": "2026-000042",
    }
    calls = [(r.method, r.path.split("/")[-1], r.idempotency_key) for r in fake.requests[1:]]
    invoice_id = invoice["id"]
    assert calls == [
        ("POST", "invoiceitems", "pay-1:invoiceitem"),
        ("POST", "invoices", "pay-1:invoice"),
        ("POST", "finalize", "pay-1:finalize"),
        ("POST", "pay", "pay-1:pay"),
    ]
    assert fake.requests[3].path == f"/v1/invoices/{invoice_id}/finalize"
    assert fake.requests[3].params == {"auto_advance": "false"}


async def test_a_declined_card_is_a_failed_result_not_an_error(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    buyer = await customer(gateway)
    fake.declining_customers.add(buyer)
    result = await gateway.charge(charge_for(buyer), idempotency_key="pay-2")
    assert not result.succeeded
    assert result.failure_message == "Your card was declined."
    # The Stripe invoice exists (open): a retry or a void can find it.
    assert fake.objects[result.provider_payment_id or ""]["status"] == "open"


async def test_any_stripe_refusal_is_a_failed_result(gateway: StripeGateway) -> None:
    result = await gateway.charge(charge_for("cus_unknown"), idempotency_key=None)
    assert not result.succeeded
    assert result.provider_payment_id is None
    assert result.failure_message == "No such customer: 'cus_unknown'"


async def test_charge_without_a_stripe_customer_creates_one(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    request = charge_for(None)
    result = await gateway.charge(request, idempotency_key="pay-3")
    assert result.succeeded
    assert result.provider_customer_id is not None
    made = fake.objects[result.provider_customer_id]
    assert made["metadata"] == {"admiral_customer_id": str(request.customer_id)}


async def test_an_unreachable_stripe_is_a_failed_result() -> None:
    gateway = StripeGateway("sk_test_x", api_base="http://127.0.0.1:9", max_network_retries=0)
    result = await gateway.charge(charge_for("cus_x"), idempotency_key=None)
    assert not result.succeeded
    assert result.failure_message == "Stripe could not be reached; try again."


async def test_the_test_server_refuses_a_parameter_stripe_does_not_document(
    gateway: StripeGateway,
) -> None:
    with pytest.raises(GatewayError) as raised:
        await gateway._call(gateway.client.v1.customers.create, params={"nickname": "x"}, key=None)
    assert raised.value.status == 400
    assert raised.value.code == "parameter_unknown"


async def test_ensure_plan_creates_a_plan_per_version_once(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    plan = PlanPrice("growth", 2, "Growth", 250_000_00, "USD", "YEAR")
    assert await gateway.ensure_plan(plan, idempotency_key="k") == "growth-v2"
    assert await gateway.ensure_plan(plan, idempotency_key="k") == "growth-v2"
    assert fake.objects["growth-v2"]["interval"] == "year"
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]


async def test_subscription_create_update_with_proration_and_cancel(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    buyer = await customer(gateway)
    trial_end = datetime(2027, 1, 15, tzinfo=UTC)
    created = await gateway.create_subscription(
        buyer,
        price="starter-v1",
        subscription_id="sub_admiral1",
        trial_end=trial_end,
        coupon="WELCOME10",
        idempotency_key="sub-1",
    )
    assert created.status == "trialing"
    assert created.price == "starter-v1"
    assert created.current_period_end == trial_end
    sent = fake.requests[-1]
    assert sent.params["items[0][price]"] == "starter-v1"
    assert sent.params["discounts[0][coupon]"] == "WELCOME10"
    assert sent.params["metadata[admiral_subscription_id]"] == "sub_admiral1"
    assert sent.idempotency_key == "sub-1:subscription"

    proration_date = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    updated = await gateway.update_subscription(
        created.id,
        price="growth-v1",
        proration_behavior=ProrationBehavior.ALWAYS_INVOICE,
        proration_date=proration_date,
        idempotency_key="sub-2",
    )
    assert updated.price == "growth-v1"
    sent = fake.requests[-1]
    assert sent.params == {
        "items[0][id]": created.item_id,
        "items[0][price]": "growth-v1",
        "proration_behavior": "always_invoice",
        "proration_date": str(int(proration_date.timestamp())),
    }
    assert sent.idempotency_key == "sub-2:subscription-update"

    at_end = await gateway.cancel_subscription(created.id, at_period_end=True, idempotency_key="c")
    assert at_end.cancel_at_period_end
    assert at_end.status == "trialing"
    now = await gateway.cancel_subscription(created.id, at_period_end=False, idempotency_key="d")
    assert now.status == "canceled"
    assert fake.requests[-1].method == "DELETE"


@pytest.mark.parametrize("behavior", list(ProrationBehavior))
async def test_every_proration_behavior_is_one_stripe_knows(
    gateway: StripeGateway, fake: FakeStripe, behavior: ProrationBehavior
) -> None:
    buyer = await customer(gateway)
    created = await gateway.create_subscription(
        buyer, price="a-v1", subscription_id="sub_x", idempotency_key=None
    )
    updated = await gateway.update_subscription(
        created.id, price="b-v1", proration_behavior=behavior, idempotency_key=None
    )
    assert updated.price == "b-v1"
    assert fake.requests[-1].params["proration_behavior"] == behavior.value.lower()


async def paid_invoice(gateway: StripeGateway, amount: int = 10_000) -> str:
    result = await gateway.charge(charge_for(await customer(gateway), amount), idempotency_key=None)
    assert result.provider_payment_id is not None
    return result.provider_payment_id


@pytest.mark.parametrize(
    ("refund_to", "param"),
    [(RefundTo.CREDIT_BALANCE, "credit_amount"), (RefundTo.ORIGINAL_PAYMENT, "refund_amount")],
)
async def test_credit_note_on_a_paid_invoice_goes_where_asked(
    gateway: StripeGateway, fake: FakeStripe, refund_to: RefundTo, param: str
) -> None:
    invoice = await paid_invoice(gateway)
    note = await gateway.create_credit_note(
        invoice,
        amount=2_500,
        reason=CreditNoteReason.ORDER_CHANGE,
        memo="Seats reduced",
        refund_to=refund_to,
        idempotency_key="cn-1",
    )
    assert fake.objects[note]["status"] == "issued"
    assert fake.requests[-1].params == {
        "invoice": invoice,
        "amount": "2500",
        "reason": "order_change",
        "memo": "Seats reduced",
        param: "2500",
    }
    assert fake.requests[-1].idempotency_key == "cn-1:creditnote"
    await gateway.undo_credit_note(note)
    assert fake.objects[note]["status"] == "void"


async def test_credit_note_above_the_invoice_is_refused(gateway: StripeGateway) -> None:
    invoice = await paid_invoice(gateway, 1_000)
    with pytest.raises(GatewayError, match="exceeds"):
        await gateway.create_credit_note(
            invoice,
            amount=1_001,
            reason=CreditNoteReason.DUPLICATE,
            memo=None,
            refund_to=RefundTo.CREDIT_BALANCE,
            idempotency_key=None,
        )


async def test_grant_balance_credits_the_customer(gateway: StripeGateway, fake: FakeStripe) -> None:
    buyer = await customer(gateway)
    txn = await gateway.grant_balance(
        buyer, amount=5_000, currency="EUR", description="Goodwill", idempotency_key="g-1"
    )
    assert fake.objects[txn]["amount"] == -5_000  # negative: credit the customer holds
    assert fake.objects[buyer]["balance"] == -5_000
    assert fake.requests[-1].idempotency_key == "g-1:balance"
    await gateway.undo_balance(buyer, amount=5_000, currency="EUR")
    assert fake.objects[buyer]["balance"] == 0


async def test_create_coupon_sends_every_field_it_has(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    redeem_by = datetime(2027, 6, 30, tzinfo=UTC)
    spec = CouponSpec(
        code="SPRING25",
        duration=CouponDuration.REPEATING,
        amount_off=2_500,
        currency="USD",
        duration_in_months=3,
        name="Spring",
        max_redemptions=100,
        redeem_by=redeem_by,
    )
    assert await gateway.create_coupon(spec, idempotency_key="co-1") == "SPRING25"
    assert fake.requests[-1].params == {
        "id": "SPRING25",
        "duration": "repeating",
        "amount_off": "2500",
        "currency": "usd",
        "duration_in_months": "3",
        "name": "Spring",
        "max_redemptions": "100",
        "redeem_by": str(int(redeem_by.timestamp())),
    }
    await gateway.undo_coupon("SPRING25")
    assert "SPRING25" not in fake.objects


def test_the_gateway_is_built_from_settings() -> None:
    settings = Settings(stripe_api_key="sk_test_from_settings", stripe_api_base="http://s.test/")  # type: ignore[arg-type]
    gateway = StripeGateway.from_settings(settings, max_network_retries=0)
    assert gateway.name == "stripe"
    assert "sk_test_from_settings" not in repr(settings)
    with pytest.raises(ValueError, match="ADMIRAL_STRIPE_API_KEY"):
        StripeGateway.from_settings(Settings())


async def test_the_undo_of_a_charge_refunds_it_and_of_a_subscription_cancels_it(
    gateway: StripeGateway, fake: FakeStripe
) -> None:
    invoice = await paid_invoice(gateway, 3_000)
    note = await gateway.undo_charge(invoice, amount=3_000)
    assert fake.objects[note]["refunds"] == [{"amount_refunded": 3_000}]
    buyer = await customer(gateway)
    made = await gateway.create_subscription(
        buyer, price="a-v1", subscription_id="sub_x", idempotency_key=None
    )
    await gateway.undo_subscription(made.id)
    assert fake.objects[made.id]["status"] == "canceled"


async def test_ensure_plan_passes_on_other_refusals(
    fake_stripe: tuple[FakeStripe, str],
) -> None:
    broken = StripeGateway("sk_live_wrong", api_base=fake_stripe[1], max_network_retries=0)
    with pytest.raises(GatewayError) as raised:
        await broken.ensure_plan(PlanPrice("x", 1, "X", 1, "USD", "MONTH"), idempotency_key=None)
    assert raised.value.status == 401
