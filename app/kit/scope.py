"""Row scope: which customers a caller may see, applied in SQL by every repository."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RowScope:
    """`customer_ids is None` means everything (master); otherwise only those customers."""

    customer_ids: frozenset[uuid.UUID] | None

    @property
    def is_everything(self) -> bool:
        return self.customer_ids is None

    def allows(self, customer_id: uuid.UUID | None) -> bool:
        if self.customer_ids is None:
            return True
        return customer_id is not None and customer_id in self.customer_ids


EVERYTHING = RowScope(None)
NOTHING = RowScope(frozenset())
