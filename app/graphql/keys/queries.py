"""API key queries."""

from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.keys.types import ApiKey
from app.graphql.node import parse_id
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated
from app.graphql.root import query
from app.keys.repository import API_KEY_MODEL
from app.keys.scopes import MASTER_ONLY, SCOPES
from app.kit.pagination import check_search
from app.models.customers import Customer
from app.models.keys import KeyStatus
from app.models.projects import Project


@strawberry.input
class ApiKeyFilter:
    customer_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    status: KeyStatus | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name, or of the start (≤ 100 characters)."
    )


@query(authenticated, "API keys, newest first; session admins see their customers' only.")
async def api_keys(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: ApiKeyFilter | None = None,
) -> Connection[ApiKey]:
    given = filter or ApiKeyFilter()
    customer_id = (
        parse_id(given.customer_id, Customer.PREFIX, "filter.customerId")
        if given.customer_id is not None
        else None
    )
    project_id = (
        parse_id(given.project_id, Project.PREFIX, "filter.projectId")
        if given.project_id is not None
        else None
    )
    return await paginate(
        info,
        API_KEY_MODEL,
        ApiKey.from_row,
        first=first,
        after=after,
        filters={
            "customer_id": customer_id,
            "project_id": project_id,
            "status": given.status,
            "search": check_search(given.search),
        },
    )


@strawberry.type(description="A scope an API key may carry.")
class ApiKeyScope:
    name: str
    description: str
    master_only: bool = strawberry.field(description="Only a master admin may grant it.")


@query(authenticated, "The scopes an API key may carry.")
def api_key_scopes(info: Info) -> list[ApiKeyScope]:
    return [
        ApiKeyScope(name=name, description=text, master_only=name in MASTER_ONLY)
        for name, text in SCOPES.items()
    ]
