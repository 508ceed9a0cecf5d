"""The schema: per-domain Query and Mutation types merged at the root."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.graphql.audit.queries import AuditQuery
from app.graphql.auth.mutations import AuthMutation
from app.graphql.auth.queries import AuthQuery
from app.graphql.context import Info
from app.graphql.customers.mutations import CustomersMutation
from app.graphql.customers.queries import CustomersQuery
from app.graphql.errors import log_unexpected
from app.graphql.extensions import Limits, RequestGuard
from app.graphql.node import Node, resolve_node
from app.graphql.permissions import authenticated
from app.graphql.scalars import SCALARS
from app.graphql.users.mutations import UsersMutation
from app.graphql.users.queries import UsersQuery
from app.settings import Settings

log = logging.getLogger(__name__)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        extensions=authenticated(),
        description="Any object by its id; null when absent or outside the caller's scope.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


Query = merge_types("Query", (NodeQuery, AuthQuery, UsersQuery, CustomersQuery, AuditQuery))
Mutation = merge_types("Mutation", (AuthMutation, UsersMutation, CustomersMutation))


class AdmiralSchema(strawberry.Schema):
    # Parsing and validation with Admiral's limits, cached; set by `build_schema`.
    limits: Limits

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (validation, permissions, bad input) are the client's business;
        # only bugs are logged, with their stack.
        request_id = "-"
        if execution_context is not None and execution_context.context is not None:
            request_id = getattr(execution_context.context, "request_id", "-")
        log_unexpected(errors, request_id)


def build_schema(settings: Settings | None = None) -> AdmiralSchema:
    settings = settings or Settings()

    def guard() -> Any:
        return RequestGuard(schema.limits)

    schema = AdmiralSchema(
        query=Query,
        mutation=Mutation,
        extensions=[guard],
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    schema.limits = Limits(schema._schema, settings)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
