"""Rows of every job queue, written as their domains write them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.db import Database
from app.kit import clock
from app.models import Customer
from app.models.invoices import Invoice, InvoiceStatus, PaymentAttempt, PaymentAttemptStatus
from app.models.mail import Email, EmailStatus
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.settings import Settings
from tests.support import add_rows
from tests.webhooks.support import endpoint


@dataclass
class Queued:
    failed_delivery: WebhookDelivery
    pending_delivery: WebhookDelivery
    leased_delivery: WebhookDelivery
    done_delivery: WebhookDelivery
    failed_email: Email
    failed_reset: Email  # a mail whose secret link was erased when it failed
    failed_payment: PaymentAttempt
    planned_payment: PaymentAttempt
    invoice: Invoice


def delivery(
    customer: Customer,
    endpoint_id: uuid.UUID,
    status: DeliveryStatus,
    at: datetime,
    **fields: Any,
) -> WebhookDelivery:
    values: dict[str, Any] = {
        "customer_id": customer.id,
        "endpoint_id": endpoint_id,
        "event_id": uuid.uuid4(),
        "event_type": "customer.updated",
        "payload": {},
        "status": status,
        "attempt_count": 3 if status is DeliveryStatus.FAILED else 0,
        "next_attempt_at": at if status is DeliveryStatus.PENDING else None,
        "created_at": at,
        "updated_at": at,
        **fields,
    }
    return WebhookDelivery(**values)


def email(customer: Customer, status: EmailStatus, at: datetime, **fields: Any) -> Email:
    values: dict[str, Any] = {
        "event_id": uuid.uuid4(),
        "customer_id": customer.id,
        "template": "user_blocked",
        "to_address": "someone@example.test",
        "subject": "Blocked",
        "context": {"name": "Ada", "reason": None},
        "status": status,
        "attempt_count": 5 if status is EmailStatus.FAILED else 0,
        "last_error": "SMTP failed: SMTPConnectError." if status is EmailStatus.FAILED else None,
        "next_attempt_at": None if status is EmailStatus.FAILED else at,
        "created_at": at,
        **fields,
    }
    return Email(**values)


async def queued(db: Database, settings: Settings, customer: Customer) -> Queued:
    now = clock.now()
    hook = await endpoint(db, customer, "http://127.0.0.1:9/hooks", settings=settings)
    at = [now - timedelta(minutes=30 - n) for n in range(12)]
    failed_delivery = delivery(customer, hook.endpoint.id, DeliveryStatus.FAILED, at[0])
    pending_delivery = delivery(customer, hook.endpoint.id, DeliveryStatus.PENDING, at[1])
    leased_delivery = delivery(
        customer,
        hook.endpoint.id,
        DeliveryStatus.PENDING,
        at[2],
        lease_token=uuid.uuid4(),
        lease_until=now + timedelta(minutes=1),
    )
    done_delivery = delivery(customer, hook.endpoint.id, DeliveryStatus.SUCCEEDED, at[3])
    failed_email = email(customer, EmailStatus.FAILED, at[4])
    failed_reset = email(
        customer, EmailStatus.FAILED, at[5], template="password_reset", link_encrypted=None
    )
    invoice = Invoice(
        customer_id=customer.id,
        number=f"2026-{uuid.uuid4().int % 1_000_000:06d}",
        status=InvoiceStatus.OPEN,
        total=4900,
        amount_due=4900,
        created_at=at[6],
    )
    planned_invoice = Invoice(
        customer_id=customer.id,
        number=f"2026-{uuid.uuid4().int % 1_000_000:06d}",
        status=InvoiceStatus.OPEN,
        total=900,
        amount_due=900,
        created_at=at[6],
    )
    first = PaymentAttempt(
        invoice_id=invoice.id,
        customer_id=customer.id,
        attempted_at=at[7],
        status=PaymentAttemptStatus.FAILED,
        amount=4900,
        failure_message="Card declined.",
    )
    failed_payment = PaymentAttempt(
        invoice_id=invoice.id,
        customer_id=customer.id,
        attempted_at=at[8],
        status=PaymentAttemptStatus.FAILED,
        amount=4900,
        failure_message="Card declined again.",
    )
    planned_payment = PaymentAttempt(
        invoice_id=planned_invoice.id,
        customer_id=customer.id,
        attempted_at=at[9],
        status=PaymentAttemptStatus.FAILED,
        amount=900,
        failure_message="Insufficient funds.",
        next_attempt_at=now + timedelta(days=3),
    )
    await add_rows(
        db,
        failed_delivery,
        pending_delivery,
        leased_delivery,
        done_delivery,
        failed_email,
        failed_reset,
        invoice,
        planned_invoice,
    )
    await add_rows(db, first, failed_payment, planned_payment)
    return Queued(
        failed_delivery,
        pending_delivery,
        leased_delivery,
        done_delivery,
        failed_email,
        failed_reset,
        failed_payment,
        planned_payment,
        invoice,
    )
