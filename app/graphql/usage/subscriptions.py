"""`subscription { usageEvents(customerId) }` over `graphql-transport-ws`: events as they are
stored (a master: any customer or all; a session admin: their own customers)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.graphql.context import Info
from app.graphql.node import parse_id
from app.graphql.root import subscription
from app.graphql.usage.types import UsageEvent
from app.kit.errors import PermissionDenied
from app.models.customers import Customer
from app.usage.broker import BROKER


@subscription("Usage events as they are stored (of one customer, or every one in scope).")
async def usage_events(
    info: Info, customer_id: strawberry.ID | None = None
) -> AsyncGenerator[UsageEvent, None]:
    principal = info.context.principal
    if principal is None:
        raise PermissionDenied("Authenticate in `connection_init` or with the key header.")
    scope = principal.row_scope
    customer = None if customer_id is None else parse_id(customer_id, Customer.PREFIX, "customerId")
    if (
        customer is not None
        and scope.customer_ids is not None
        and customer not in scope.customer_ids
    ):
        raise PermissionDenied("Not one of your customers.")
    if customer is None and scope.customer_ids is not None and len(scope.customer_ids) != 1:
        raise PermissionDenied("Name one of your customers (`customerId`).")
    if customer is None and scope.customer_ids is not None:
        customer = next(iter(scope.customer_ids))
    async for event in BROKER.subscribe(None if customer is None else customer.hex):
        yield UsageEvent.from_announced(event)
