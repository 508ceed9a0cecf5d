"""Business rules of customer accounts: lifecycle and notes, members, invitations, backfill.

Services never commit: the unit of work's runner does. Targets are loaded through the caller's
row scope, so whatever lies outside it answers NOT_FOUND, exactly like what does not exist.
Every change records one audit event carrying `customer_id`, so the customer's own admins see it.
"""

from app.customers.service.accounts import (
    add_note,
    create_customer,
    customer_public_id,
    deactivate_customer,
    reactivate_customer,
    snapshot,
    update_customer,
)
from app.customers.service.backfill import Backfill, backfill_owners
from app.customers.service.common import customer_in_scope, validated
from app.customers.service.invitations import (
    Acceptance,
    IssuedInvitation,
    accept_invitation,
    create_invitation,
    revoke_invitation,
)
from app.customers.service.members import (
    Removal,
    add_member,
    remove_member,
    update_member_role,
)

__all__ = [
    "Acceptance",
    "Backfill",
    "IssuedInvitation",
    "Removal",
    "accept_invitation",
    "add_member",
    "add_note",
    "backfill_owners",
    "create_customer",
    "create_invitation",
    "customer_in_scope",
    "customer_public_id",
    "deactivate_customer",
    "reactivate_customer",
    "remove_member",
    "revoke_invitation",
    "snapshot",
    "update_customer",
    "update_member_role",
    "validated",
]
