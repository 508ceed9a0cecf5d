"""The Core `Table` of every model, for repositories that build SQL with SQLAlchemy Core.

Repositories of different domains may join each other's tables; they take them from here, so
no domain imports another domain's repository.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.auth import LoginFailure, LoginSession, MasterKey
from app.models.billing import Plan
from app.models.customers import Customer, CustomerNote, Invitation, Membership
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
CUSTOMERS = table_of(Customer)
MEMBERSHIPS = table_of(Membership)
USERS = table_of(User)
USER_NOTES = table_of(UserNote)
CUSTOMER_NOTES = table_of(CustomerNote)
INVITATIONS = table_of(Invitation)
PROJECTS = table_of(Project)
FEEDBACK = table_of(Feedback)
PASSWORD_RESET_TOKENS = table_of(PasswordResetToken)
OUTBOX_EVENTS = table_of(OutboxEvent)
WEBHOOK_ENDPOINTS = table_of(WebhookEndpoint)
WEBHOOK_DELIVERIES = table_of(WebhookDelivery)
WEBHOOK_ATTEMPTS = table_of(WebhookAttempt)
EMAILS = table_of(Email)
