"""The Core `Table` of every model, for repositories that build SQL with SQLAlchemy Core.

Repositories of different domains may join each other's tables; they take them from here, so
no domain imports another domain's repository.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.auth import LoginFailure, LoginSession, MasterKey
from app.models.billing import (
    BillingOverrideSkip,
    BillingTestClock,
    PendingInvoiceItem,
    Plan,
    PlanVersion,
    Subscription,
)
from app.models.coupons import Coupon, Discount
from app.models.customers import Customer, CustomerNote, Invitation, Membership
from app.models.gateway import StripeEvent
from app.models.invoices import (
    BillingProfile,
    CreditNote,
    CreditNoteLine,
    CreditTransaction,
    Invoice,
    InvoiceDiscount,
    InvoiceLine,
    InvoiceNumberCounter,
    PaymentAttempt,
    TaxRate,
)
from app.models.mail import Email
from app.models.outbox import OutboxEvent
from app.models.projects import Project
from app.models.users import Feedback, PasswordResetToken, User, UserNote
from app.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def table_of(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


AUDIT_EVENTS = table_of(AuditEvent)
IDEMPOTENCY_RECORDS = table_of(IdempotencyRecord)
LOGIN_FAILURES = table_of(LoginFailure)
LOGIN_SESSIONS = table_of(LoginSession)
MASTER_KEYS = table_of(MasterKey)
PLANS = table_of(Plan)
PLAN_VERSIONS = table_of(PlanVersion)
SUBSCRIPTIONS = table_of(Subscription)
PENDING_INVOICE_ITEMS = table_of(PendingInvoiceItem)
BILLING_OVERRIDE_SKIPS = table_of(BillingOverrideSkip)
BILLING_TEST_CLOCKS = table_of(BillingTestClock)
CUSTOMERS = table_of(Customer)
MEMBERSHIPS = table_of(Membership)
USERS = table_of(User)
USER_NOTES = table_of(UserNote)
CUSTOMER_NOTES = table_of(CustomerNote)
INVITATIONS = table_of(Invitation)
PROJECTS = table_of(Project)
FEEDBACK = table_of(Feedback)
STRIPE_EVENTS = table_of(StripeEvent)
PASSWORD_RESET_TOKENS = table_of(PasswordResetToken)
OUTBOX_EVENTS = table_of(OutboxEvent)
INVOICES = table_of(Invoice)
INVOICE_LINES = table_of(InvoiceLine)
INVOICE_DISCOUNTS = table_of(InvoiceDiscount)
INVOICE_NUMBER_COUNTERS = table_of(InvoiceNumberCounter)
PAYMENT_ATTEMPTS = table_of(PaymentAttempt)
TAX_RATES = table_of(TaxRate)
BILLING_PROFILES = table_of(BillingProfile)
CREDIT_TRANSACTIONS = table_of(CreditTransaction)
CREDIT_NOTES = table_of(CreditNote)
CREDIT_NOTE_LINES = table_of(CreditNoteLine)
COUPONS = table_of(Coupon)
DISCOUNTS = table_of(Discount)
WEBHOOK_ENDPOINTS = table_of(WebhookEndpoint)
WEBHOOK_DELIVERIES = table_of(WebhookDelivery)
WEBHOOK_ATTEMPTS = table_of(WebhookAttempt)
EMAILS = table_of(Email)
