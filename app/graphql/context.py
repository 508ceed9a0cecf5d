"""The per-request context every resolver sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from app.auth.principal import Principal
from app.db import Database, Reader
from app.kit.scope import NOTHING, RowScope
from app.runtime import Services
from app.settings import Settings

if TYPE_CHECKING:
    from app.graphql.loaders import Loaders


@dataclass
class Context:
    request: Request
    response: Response
    services: Services
    reader: Reader
    principal: Principal | None
    request_id: str
    client_addr: str
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        from app.graphql.loaders import Loaders

        self.loaders = Loaders(self.reader, self.scope)

    @property
    def scope(self) -> RowScope:
        return self.principal.row_scope if self.principal is not None else NOTHING

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    def require_principal(self) -> Principal:
        # Resolvers behind IsAuthenticated only; the permission layer guarantees this.
        assert self.principal is not None
        return self.principal


Info: TypeAlias = strawberry.Info[Context, None]
