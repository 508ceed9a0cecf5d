"""Row scope: which rows a caller may see, applied in SQL by every repository.

Not to be confused with a principal's kind (MASTER or SESSION, `app/auth/principal.py`): the row
scope is the filter that kind translates into.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowScope:
    """`customer_ids is None` means every customer (master); otherwise only those customers.

    `user_id` is the signed-in caller, for rows that belong to a person rather than to a
    customer (their own sessions); None for a master key.
    """

    customer_ids: frozenset[uuid.UUID] | None
    user_id: uuid.UUID | None = None

    @property
    def is_everything(self) -> bool:
        return self.customer_ids is None


EVERYTHING = RowScope(None)
NOTHING = RowScope(frozenset())
