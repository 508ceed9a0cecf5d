"""SQLModel tables, one module per domain. Importing this package registers them all."""

from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.auth import LoginFailure, LoginSession, MasterKey, SessionKind
from app.models.base import metadata
from app.models.billing import Plan, PlanInterval
from app.models.customers import ADMIN_ROLES, Customer, CustomerStatus, MemberRole, Membership
from app.models.users import NoteCategory, User, UserNote, UserStatus

__all__ = [
    "ADMIN_ROLES",
    "AuditEvent",
    "Customer",
    "CustomerStatus",
    "IdempotencyRecord",
    "LoginFailure",
    "LoginSession",
    "MasterKey",
    "MemberRole",
    "Membership",
    "NoteCategory",
    "Plan",
    "PlanInterval",
    "SessionKind",
    "User",
    "UserNote",
    "UserStatus",
    "metadata",
]
