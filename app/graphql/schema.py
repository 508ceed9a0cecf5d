"""The schema: the root fields every domain package declares (`app/graphql/root.py`)."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type
from strawberry.types import ExecutionContext

import app.graphql
from app.graphql.context import Info
from app.graphql.errors import log_unexpected
from app.graphql.extensions import Limits, RequestGuard
from app.graphql.node import Node, resolve_node
from app.graphql.permissions import authenticated
from app.graphql.root import mutation_fields, query, query_fields, subscription_fields
from app.graphql.scalars import SCALARS
from app.settings import Settings

log = logging.getLogger(__name__)


@query(authenticated, "Any object by its id; null when absent or outside the caller's scope.")
async def node(info: Info, id: strawberry.ID) -> Node | None:
    return await resolve_node(info, id)


def _import_domain_packages() -> None:
    """Import every module of every domain package under `app.graphql` (`users/`,
    `customers/`, …): their root fields and types register themselves as they load."""
    for package in pkgutil.iter_modules(app.graphql.__path__, "app.graphql."):
        if not package.ispkg:
            continue
        domain = importlib.import_module(package.name)
        for module in pkgutil.walk_packages(domain.__path__, package.name + "."):
            importlib.import_module(module.name)


_import_domain_packages()
Query = create_type("Query", query_fields())
Mutation = create_type("Mutation", mutation_fields())
# Not `Subscription`: that name is billing's type (a customer's subscription to a plan).
Subscription = create_type("SubscriptionRoot", subscription_fields())


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
        subscription=Subscription,
        extensions=[guard],
        config=StrawberryConfig(scalar_map=SCALARS),
    )
    schema.limits = Limits(schema._schema, settings)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
