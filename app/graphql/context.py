"""The per-request context every resolver sees."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from app.auth.principal import Principal
from app.db import Database, Reader
from app.kit.scope import NOTHING, RowScope
from app.runtime import Runtime
from app.settings import Settings

LoaderT = TypeVar("LoaderT")


@dataclass
class Context:
    request: Request
    response: Response
    runtime: Runtime
    reader: Reader
    principal: Principal | None
    request_id: str
    client_addr: str
    _loaders: dict[tuple[Hashable, ...], Any] = field(default_factory=dict, init=False)
    # The `connection_init` payload of a WebSocket (set by Strawberry), where a client that
    # cannot send headers gives its `Authorization`.
    connection_params: dict[str, Any] | None = None

    @property
    def row_scope(self) -> RowScope:
        return self.principal.row_scope if self.principal is not None else NOTHING

    def loader(self, kind: Callable[..., LoaderT], *arguments: Hashable) -> LoaderT:
        """This request's loader of `kind` for `arguments` (a `LoadSpec`, say), created on first
        use: a domain adds loaders without a shared list of them."""
        key = (kind, *arguments)
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = kind(self.reader, self.row_scope, *arguments)
        return found

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def db(self) -> Database:
        return self.runtime.db

    def require_principal(self) -> Principal:
        # Resolvers behind IsAuthenticated only; the permission layer guarantees this.
        assert self.principal is not None
        return self.principal


Info: TypeAlias = strawberry.Info[Context, None]
