"""What the compiled read path may answer in the users domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.graphql.compiled.declare import (
    ConnectionRoot,
    ObjectRoot,
    PageQuery,
    compilable_root,
    compilable_type,
)
from app.graphql.node import parse_id
from app.graphql.users.queries import UserFilter, user_filters
from app.users.repository import USER_MODEL

compilable_type(
    "User",
    "email",
    "name",
    "status",
    "createdAt",
    "lastSeenAt",
    "isStaff",
    "memberships",
    "notesCount",
)


def _value(item: Any) -> Any:
    return getattr(item, "value", item)


def users_page(arguments: Mapping[str, Any]) -> PageQuery:
    given: Mapping[str, Any] = arguments.get("filter") or {}
    filters = user_filters(
        UserFilter(
            status=given.get("status"),
            plan_code=given.get("planCode"),
            customer_id=given.get("customerId"),
            search=given.get("search"),
            created_after=given.get("createdAfter"),
            created_before=given.get("createdBefore"),
        )
    )
    order: Mapping[str, Any] = arguments.get("orderBy") or {}
    return PageQuery(
        first=arguments.get("first"),
        after=arguments.get("after"),
        filters=filters,
        ordering=_value(order.get("field", "CREATED_AT")),
        descending=_value(order.get("direction", "DESC")) == "DESC",
    )


compilable_root("users", ConnectionRoot(USER_MODEL, users_page))
compilable_root(
    "user", ObjectRoot(USER_MODEL, lambda arguments: parse_id(arguments["id"], USER_MODEL.prefix))
)
