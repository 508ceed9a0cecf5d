"""What the compiled read path may answer in the customers domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.customers.repository import CUSTOMER_MODEL
from app.graphql.compiled.declare import (
    ConnectionRoot,
    PageQuery,
    compilable_root,
    compilable_type,
)
from app.kit.pagination import check_search

compilable_type("Membership", "role", "createdAt", "customer", "user")
compilable_type(
    "Customer",
    "slug",
    "name",
    "status",
    "billingEmail",
    "createdAt",
    "updatedAt",
    "deactivatedAt",
    "deactivationReason",
    "taxId",
    "plan",
    "openInvoicesCount",
)


def _value(item: Any) -> Any:
    return getattr(item, "value", item)


def customers_page(arguments: Mapping[str, Any]) -> PageQuery:
    given: Mapping[str, Any] = arguments.get("filter") or {}
    order: Mapping[str, Any] = arguments.get("orderBy") or {}
    return PageQuery(
        first=arguments.get("first"),
        after=arguments.get("after"),
        filters={
            "status": given.get("status"),
            "plan_code": given.get("planCode"),
            "search": check_search(given.get("search")),
            "created_after": given.get("createdAfter"),
            "created_before": given.get("createdBefore"),
        },
        ordering=_value(order.get("field", "CREATED_AT")),
        descending=_value(order.get("direction", "DESC")) == "DESC",
    )


compilable_root("customers", ConnectionRoot(CUSTOMER_MODEL, customers_page))
