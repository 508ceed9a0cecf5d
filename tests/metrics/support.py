"""A known data set for October 2026, every expected figure worked out by hand in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.models.billing import PlanInterval, Subscription, SubscriptionStatus
from app.models.customers import Customer, CustomerStatus, MemberRole
from app.models.invoices import (
    CreditKind,
    CreditNote,
    CreditNoteReason,
    CreditTransaction,
    Invoice,
    InvoiceStatus,
    RefundTo,
)
from app.models.metrics import CostEntry, SubscriptionChange
from app.models.users import Feedback, FeedbackKind, User
from tests.helpers import Factory


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@dataclass
class Books:
    customers: dict[str, Customer]
    subscriptions: dict[str, Subscription]
    users: dict[str, User]


async def change(
    factory: Factory,
    subscription: Subscription,
    when: datetime,
    before: tuple[str | None, int],
    after: tuple[str, int],
) -> None:
    await factory._add(
        SubscriptionChange(
            customer_id=subscription.customer_id,
            subscription_id=subscription.id,
            plan_id=subscription.plan_id,
            action="test",
            status_before=before[0],
            status_after=after[0],
            mrr_before=before[1],
            mrr_after=after[1],
            currency="USD",
            occurred_at=when,
        )
    )


async def invoice(
    factory: Factory,
    customer: Customer,
    subscription: Subscription | None,
    *,
    total: int,
    tax: int = 0,
    status: InvoiceStatus = InvoiceStatus.PAID,
    paid_at: datetime | None = None,
    currency: str = "USD",
    **fields: Any,
) -> Invoice:
    row = Invoice(
        customer_id=customer.id,
        subscription_id=subscription.id if subscription else None,
        status=status,
        currency=currency,
        subtotal=total - tax,
        tax_total=tax,
        total=total,
        amount_due=0 if status == InvoiceStatus.PAID else total,
        amount_paid=total if status == InvoiceStatus.PAID else 0,
        paid_at=paid_at,
        finalized_at=paid_at,
        **fields,
    )
    await factory._add(row)
    return row


async def books(factory: Factory) -> Books:
    basic = await factory.plan("basic", price_amount=1000, rate_per_second=10)
    # 12018 / 12 = 1001.5, rounded half to even: 1002 a month.
    pro = await factory.plan(
        "pro", price_amount=12018, interval=PlanInterval.YEAR, rate_per_second=50
    )
    starter = await factory.plan("starter", price_amount=500, rate_per_second=5)
    biz = await factory.plan("biz", price_amount=1500, rate_per_second=20)
    opened = at(7, 1)
    names = "abcdefg"
    customers = {
        name: await factory.customer(
            f"cust-{name}",
            created_at=opened,
            status=CustomerStatus.DEACTIVATED if name == "g" else CustomerStatus.ACTIVE,
        )
        for name in names
    }
    plan_of = {"a": basic, "b": pro, "c": basic, "d": basic, "e": starter, "f": biz, "g": basic}
    status_of = {
        "c": SubscriptionStatus.TRIALING,
        "d": SubscriptionStatus.CANCELED,
        "g": SubscriptionStatus.CANCELED,
    }
    subs: dict[str, Subscription] = {}
    for name in names:
        fields: dict[str, Any] = {}
        if name in "bcg":
            fields["trial_start"] = at(10, 5)
        subs[name] = await factory.subscription(
            customers[name],
            plan_of[name],
            status=status_of.get(name, SubscriptionStatus.ACTIVE),
            **fields,
        )
    # The history (see the expectations in test_metrics.py).
    await change(factory, subs["a"], at(9, 15), (None, 0), ("ACTIVE", 800))
    await change(factory, subs["a"], at(10, 10), ("ACTIVE", 800), ("ACTIVE", 1000))
    await change(factory, subs["b"], at(10, 5), (None, 0), ("TRIALING", 0))
    await change(factory, subs["b"], at(10, 12), ("TRIALING", 0), ("ACTIVE", 1002))
    await change(factory, subs["c"], at(10, 20), (None, 0), ("TRIALING", 0))
    await change(factory, subs["d"], at(8, 1), (None, 0), ("ACTIVE", 1000))
    await change(factory, subs["d"], at(10, 25), ("ACTIVE", 1000), ("CANCELED", 0))
    await change(factory, subs["e"], at(7, 1), (None, 0), ("ACTIVE", 500))
    await change(factory, subs["e"], at(8, 1), ("ACTIVE", 500), ("CANCELED", 0))
    await change(factory, subs["e"], at(10, 15), (None, 0), ("ACTIVE", 500))
    await change(factory, subs["f"], at(9, 1), (None, 0), ("ACTIVE", 2000))
    await change(factory, subs["f"], at(10, 18), ("ACTIVE", 2000), ("ACTIVE", 1500))
    await change(factory, subs["g"], at(10, 3), (None, 0), ("TRIALING", 0))
    await change(factory, subs["g"], at(10, 8), ("TRIALING", 0), ("CANCELED", 0))

    inv1 = await invoice(factory, customers["a"], subs["a"], total=1190, tax=190, paid_at=at(10, 3))
    await invoice(factory, customers["b"], subs["b"], total=1002, paid_at=at(10, 12))
    inv3 = await invoice(factory, customers["f"], subs["f"], total=1500, paid_at=at(10, 3, 18))
    await invoice(factory, customers["a"], subs["a"], total=1000, status=InvoiceStatus.OPEN)
    await invoice(factory, customers["a"], subs["a"], total=1000, paid_at=at(9, 20))
    await invoice(factory, customers["e"], subs["e"], total=700, paid_at=at(10, 4), currency="EUR")
    for number, (inv, refund_to, amount) in enumerate(
        [(inv3, RefundTo.ORIGINAL_PAYMENT, 200), (inv1, RefundTo.CREDIT_BALANCE, 50)]
    ):
        await factory._add(
            CreditNote(
                invoice_id=inv.id,
                customer_id=inv.customer_id,
                number=f"CN-{number}",
                reason=CreditNoteReason.ORDER_CHANGE,
                refund_to=refund_to,
                amount=amount,
                created_at=at(10, 20),
            )
        )
    await factory._add(
        CreditTransaction(
            customer_id=customers["e"].id, amount=300, kind=CreditKind.GRANT, created_at=at(10, 21)
        )
    )
    await factory._add(
        CostEntry(incurred_on=date(2026, 10, 1), category="hosting", amount=400),
        CostEntry(incurred_on=date(2026, 10, 15), category="hosting", amount=300, plan_id=basic.id),
        CostEntry(incurred_on=date(2026, 10, 15), category="email", amount=100),
        CostEntry(incurred_on=date(2026, 11, 1), category="email", amount=999),
    )

    users = {
        "u1": await factory.user("u1@example.com", created_at=at(10, 2)),
        "u2": await factory.user("u2@example.com", created_at=at(10, 3)),
        "u3": await factory.user("u3@example.com", created_at=at(10, 4)),
        "u4": await factory.user("u4@example.com", created_at=at(10, 5)),
        "u5": await factory.user("u5@example.com", created_at=at(9, 10)),
        "u6": await factory.user("u6@example.com", created_at=at(10, 6), deleted_at=at(10, 7)),
    }
    await factory.session_token(users["u1"], created_at=at(10, 5))
    await factory.session_token(users["u2"], created_at=at(10, 6))
    await factory.session_token(users["u5"], created_at=at(10, 2))
    await factory.member(customers["b"], users["u1"], MemberRole.OWNER)
    await factory.member(customers["c"], users["u4"], MemberRole.OWNER)
    await factory._add(
        Feedback(user_id=users["u2"].id, kind=FeedbackKind.IDEA, message="More charts"),
        Feedback(user_id=users["u3"].id, kind=FeedbackKind.BUG, message="It broke"),
    )
    return Books(customers, subs, users)
