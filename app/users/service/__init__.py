"""Business rules of a person's lifecycle: create, change, suspend, block, delete, reset, notes.

Services never commit: the unit of work's runner does. Each change records an audit event with
a before/after diff; lifecycle changes also leave an admin note, as an operator would.
"""

from app.users.service.common import load, public_id, snapshot
from app.users.service.credentials import (
    IssuedImpersonation,
    IssuedReset,
    complete_password_reset,
    create_password_reset,
    impersonate,
    sign_out_user,
)
from app.users.service.deletion import Deletion, delete_user
from app.users.service.notes import add_note, delete_note, submit_feedback
from app.users.service.profile import create_user, update_user
from app.users.service.standing import block_user, suspend_user, unblock_user, unsuspend_user

__all__ = [
    "Deletion",
    "IssuedImpersonation",
    "IssuedReset",
    "add_note",
    "block_user",
    "complete_password_reset",
    "create_password_reset",
    "create_user",
    "delete_note",
    "delete_user",
    "impersonate",
    "load",
    "public_id",
    "sign_out_user",
    "snapshot",
    "submit_feedback",
    "suspend_user",
    "unblock_user",
    "unsuspend_user",
    "update_user",
]
