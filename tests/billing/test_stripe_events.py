"""The webhook rules (`app/billing/gateway/events.py`) over an in-memory billing state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.billing.gateway.events import Outcome, StripeEventView
from tests.billing.memory_state import MemoryBillingState, MemoryHistory

T0 = datetime(2026, 12, 1, tzinfo=UTC)
PERIOD_END = T0 + timedelta(days=30)
_ids = count()


def event(kind: str, obj: dict[str, Any], at: datetime = T0) -> StripeEventView:
    return StripeEventView(f"evt_{next(_ids)}", kind, at, obj)


def subscription_object(
    status: str = "active", period_end: datetime = PERIOD_END, **extra: Any
) -> dict[str, Any]:
    # The current API's shape: the period on the subscription item.
    item = {"id": "si_1", "current_period_end": int(period_end.timestamp())}
    return {
        "id": "sub_1",
        "object": "subscription",
        "status": status,
        "items": {"data": [item]},
        **extra,
    }


def invoice_object(subscription: str | None = "sub_1") -> dict[str, Any]:
    parent = {"subscription_details": {"subscription": subscription}} if subscription else None
    return {"id": "in_1", "object": "invoice", "parent": parent}


async def test_subscription_updated_follows_the_subscription() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "TRIALING", period_end=PERIOD_END)
    later = PERIOD_END + timedelta(days=30)
    obj = subscription_object("past_due", later, cancel_at_period_end=True)
    applied = await history.deliver(event("customer.subscription.updated", obj), state)
    assert applied.outcome is Outcome.APPLIED
    assert applied.timeline_id == "sub_1"
    assert state.subscriptions["sub_1"].status == "PAST_DUE"
    assert state.subscriptions["sub_1"].current_period_end == later
    assert state.cancel_at_period_end["sub_1"] is True


async def test_the_legacy_shape_is_read_too() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE", period_end=PERIOD_END)
    legacy = {
        "id": "sub_1",
        "status": "canceled",
        "current_period_end": int(PERIOD_END.timestamp()),
    }
    applied = await history.deliver(event("customer.subscription.updated", legacy), state)
    assert applied.outcome is Outcome.APPLIED
    assert state.subscriptions["sub_1"].status == "CANCELED"


async def test_subscription_deleted_cancels() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE")
    applied = await history.deliver(
        event("customer.subscription.deleted", subscription_object("canceled")), state
    )
    assert applied.outcome is Outcome.APPLIED
    assert state.subscriptions["sub_1"].status == "CANCELED"


async def test_invoice_payment_failed_makes_the_subscription_past_due() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE")
    state.add_invoice("in_1", "OPEN")
    applied = await history.deliver(event("invoice.payment_failed", invoice_object()), state)
    assert applied.outcome is Outcome.APPLIED
    assert state.failed_attempts["in_1"] == [T0]
    assert state.subscriptions["sub_1"].status == "PAST_DUE"


async def test_invoice_paid_marks_it_paid_and_revives_a_past_due_subscription() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "PAST_DUE")
    state.add_invoice("in_1", "OPEN")
    applied = await history.deliver(event("invoice.paid", invoice_object()), state)
    assert applied.outcome is Outcome.APPLIED
    assert state.invoices["in_1"].status == "PAID"
    assert state.subscriptions["sub_1"].status == "ACTIVE"


async def test_an_invoice_without_subscription_is_its_own_timeline() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_invoice("in_1", "OPEN")
    applied = await history.deliver(event("invoice.paid", invoice_object(None), T0), state)
    assert (applied.outcome, applied.timeline_id) == (Outcome.APPLIED, "in_1")
    legacy = {"id": "in_1", "subscription": None}
    failed = await history.deliver(
        event("invoice.payment_failed", legacy, T0 - timedelta(seconds=5)), state
    )
    assert failed.outcome is Outcome.OUT_OF_ORDER


async def test_unknown_types_and_objects_are_ignored() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    assert (
        await history.deliver(event("charge.refunded", {"id": "ch_1"}), state)
    ).outcome is Outcome.IGNORED
    assert (
        await history.deliver(event("customer.subscription.updated", subscription_object()), state)
    ).outcome is Outcome.IGNORED
    assert (
        await history.deliver(event("invoice.paid", invoice_object()), state)
    ).outcome is Outcome.IGNORED
    state.add_subscription("sub_1")
    strange = subscription_object("something_new")
    assert (
        await history.deliver(event("customer.subscription.updated", strange), state)
    ).outcome is Outcome.IGNORED
    assert state.changes == 0


async def test_under_the_override_every_event_of_the_subscription_is_skipped_and_recorded() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE", override=True)
    state.add_invoice("in_1", "OPEN")
    events = [
        event("customer.subscription.updated", subscription_object("past_due")),
        event("customer.subscription.deleted", subscription_object("canceled")),
        event("invoice.payment_failed", invoice_object()),
        event("invoice.paid", invoice_object()),
    ]
    for each in events:
        assert (await history.deliver(each, state)).outcome is Outcome.SKIPPED_OVERRIDE
    assert state.changes == 0
    assert [skip[0] for skip in state.skips] == [each.id for each in events]
    assert state.subscriptions["sub_1"].status == "ACTIVE"


async def test_an_older_event_never_moves_state_backwards() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE", period_end=PERIOD_END)
    state.add_invoice("in_1", "OPEN")
    newer = event(
        "customer.subscription.updated", subscription_object("active"), T0 + timedelta(minutes=5)
    )
    older = event("invoice.payment_failed", invoice_object(), T0)
    assert (await history.deliver(newer, state)).outcome is Outcome.APPLIED
    late = await history.deliver(older, state)
    assert late.outcome is Outcome.OUT_OF_ORDER
    assert state.subscriptions["sub_1"].status == "ACTIVE"


async def test_an_earlier_billing_period_is_out_of_order_whatever_its_timestamp() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE", period_end=PERIOD_END)
    stale = subscription_object("past_due", PERIOD_END - timedelta(days=30))
    applied = await history.deliver(event("customer.subscription.updated", stale), state)
    assert applied.outcome is Outcome.OUT_OF_ORDER
    assert state.subscriptions["sub_1"].status == "ACTIVE"


async def test_final_states_stay_final() -> None:
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "CANCELED")
    state.add_invoice("in_1", "PAID")
    revive = await history.deliver(
        event("customer.subscription.updated", subscription_object("active")), state
    )
    assert revive.outcome is Outcome.OUT_OF_ORDER
    state.add_subscription("sub_1", "ACTIVE")
    unpay = await history.deliver(event("invoice.payment_failed", invoice_object()), state)
    assert unpay.outcome is Outcome.OUT_OF_ORDER
    state.add_invoice("in_1", "VOID")
    assert (
        await history.deliver(event("invoice.paid", invoice_object()), state)
    ).outcome is Outcome.OUT_OF_ORDER
    assert state.changes == 0


STATUS = st.sampled_from(["trialing", "active", "past_due", "unpaid"])


@settings(max_examples=60, deadline=None)
@given(st.lists(STATUS, min_size=1, max_size=6), st.randoms(use_true_random=False))
async def test_whatever_the_arrival_order_the_newest_event_wins(
    statuses: list[str], shuffle: Any
) -> None:
    """Events i = 0..n-1 were created one second apart; delivered in any order, the state is
    that of the newest one, and each is applied at most once."""
    state, history = MemoryBillingState(), MemoryHistory()
    state.add_subscription("sub_1", "ACTIVE", period_end=PERIOD_END)
    sent = [
        event(
            "customer.subscription.updated", subscription_object(status), T0 + timedelta(seconds=i)
        )
        for i, status in enumerate(statuses)
    ]
    order = list(sent)
    shuffle.shuffle(order)
    for each in order:
        await history.deliver(each, state)
    expected = {
        "trialing": "TRIALING",
        "active": "ACTIVE",
        "past_due": "PAST_DUE",
        "unpaid": "PAST_DUE",
    }
    assert state.subscriptions["sub_1"].status == expected[statuses[-1]]
    assert state.changes <= len(statuses)
