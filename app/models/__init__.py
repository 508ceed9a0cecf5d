"""SQLModel tables, one module per domain. Importing this package registers them all.

Every module of the package is imported here, so a new domain's tables join the metadata
(and Alembic's autogenerate) by existing; the names below are re-exported for brevity only.
"""

import importlib
import pkgutil

from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.auth import LoginFailure, LoginSession, MasterKey, SessionKind
from app.models.base import metadata
from app.models.billing import (
    BillingOverrideSkip,
    BillingTestClock,
    PendingInvoiceItem,
    PendingItemKind,
    Plan,
    PlanInterval,
    PlanStatus,
    PlanVersion,
    Subscription,
    SubscriptionStatus,
)
from app.models.customers import (
    ADMIN_ROLES,
    Customer,
    CustomerNote,
    CustomerStatus,
    Invitation,
    InvitationStatus,
    MemberRole,
    Membership,
)
from app.models.projects import Project
from app.models.users import (
    Feedback,
    FeedbackKind,
    NoteCategory,
    PasswordResetToken,
    User,
    UserNote,
    UserStatus,
)

__all__ = [
    "ADMIN_ROLES",
    "AuditEvent",
    "BillingOverrideSkip",
    "BillingTestClock",
    "Customer",
    "CustomerNote",
    "CustomerStatus",
    "Feedback",
    "FeedbackKind",
    "IdempotencyRecord",
    "Invitation",
    "InvitationStatus",
    "LoginFailure",
    "LoginSession",
    "MasterKey",
    "MemberRole",
    "Membership",
    "NoteCategory",
    "PasswordResetToken",
    "PendingInvoiceItem",
    "PendingItemKind",
    "Plan",
    "PlanInterval",
    "PlanStatus",
    "PlanVersion",
    "Project",
    "SessionKind",
    "Subscription",
    "SubscriptionStatus",
    "User",
    "UserNote",
    "UserStatus",
    "metadata",
]

for _module in pkgutil.iter_modules(__path__, __name__ + "."):
    importlib.import_module(_module.name)
