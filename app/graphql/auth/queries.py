"""Who am I, and the master keys."""

from __future__ import annotations

import enum
import uuid

import strawberry

from app.auth import repository
from app.auth.principal import Access, Principal
from app.customers.repository import CUSTOMER_MODEL
from app.graphql.auth.types import MasterKey, Session
from app.graphql.context import Info
from app.graphql.customers.types import Customer
from app.graphql.model_types import by_id_loader, read_unscoped
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.graphql.users.types import User
from app.kit.ids import encode


@strawberry.enum(description="What kind of credential started an impersonation.")
class ImpersonatorKind(enum.Enum):
    USER = "USER"
    MASTER_KEY = "MASTER_KEY"


@strawberry.type(description="The staff user or master key acting through an impersonation.")
class Impersonator:
    id: strawberry.ID = strawberry.field(description="Public id of the user or master key.")
    kind: ImpersonatorKind
    name: str = strawberry.field(description="The user's name, or the master key's name.")
    email: str | None = strawberry.field(description="The user's email; null for a master key.")
    user: User | None = strawberry.field(description="The staff user; null for a master key.")


@strawberry.type(description="The caller: scope, identity, and whom they act for.")
class Me:
    principal: strawberry.Private[Principal]
    scope: Access
    read_only: bool = strawberry.field(description="True for read-only impersonation.")
    impersonator_id: strawberry.ID | None = strawberry.field(
        description="Public id of the user or master key impersonating, if any."
    )

    @strawberry.field(description="The signed-in user; null for a master key.")
    async def user(self, info: Info) -> User | None:
        return await _own_user(info, self.principal.user_id)

    @strawberry.field(description="Customers the caller administers (OWNER or ADMIN).")
    async def customers(self, info: Info) -> list[Customer]:
        ids = self.principal.row_scope.customer_ids
        if not ids:
            return []
        found = await by_id_loader(info, CUSTOMER_MODEL).load_many(sorted(ids))
        return sorted((c for c in found if c is not None), key=lambda c: c.slug)

    @strawberry.field(
        description="Who is impersonating the caller (a staff user or a master key), if anyone."
    )
    async def impersonator(self, info: Info) -> Impersonator | None:
        principal = self.principal
        if principal.impersonator_user_id is not None:
            user = await _own_user(info, principal.impersonator_user_id)
            if user is None:
                return None
            return Impersonator(
                id=user.id, kind=ImpersonatorKind.USER, name=user.name, email=user.email, user=user
            )
        if principal.impersonator_key_id is not None:
            key = await repository.master_key_row(
                info.context.reader, principal.impersonator_key_id
            )
            if key is None:
                return None
            return Impersonator(
                id=strawberry.ID(encode(MasterKey.PREFIX, key.id)),
                kind=ImpersonatorKind.MASTER_KEY,
                name=key.name,
                email=None,
                user=None,
            )
        return None

    @strawberry.field(
        description="The login or impersonation session in use (its expiry); null for a master key."
    )
    async def session(self, info: Info) -> Session | None:
        if self.principal.session_id is None:
            return None
        found: Session | None = await by_id_loader(info, repository.SESSION_MODEL).load(
            self.principal.session_id
        )
        return found

    @strawberry.field(extensions=master_only(), description="The master key in use, if any.")
    async def master_key(self, info: Info) -> MasterKey | None:
        if self.principal.master_key_id is None:
            return None
        found: MasterKey | None = await by_id_loader(info, repository.MASTER_KEY_MODEL).load(
            self.principal.master_key_id
        )
        return found


async def _own_user(info: Info, user_id: uuid.UUID | None) -> User | None:
    if user_id is None:
        return None
    return await read_unscoped(info, User, user_id)


@strawberry.input
class MasterKeyFilter:
    active: bool | None = None


@query(authenticated, "The caller.")
def me(info: Info) -> Me:
    principal = info.context.require_principal()
    return Me(
        principal=principal,
        scope=principal.access,
        read_only=principal.read_only,
        impersonator_id=(
            strawberry.ID(principal.impersonator_public_id)
            if principal.impersonator_public_id
            else None
        ),
    )


@query(master_only, "Master API keys (never the secrets).")
async def master_keys(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: MasterKeyFilter | None = None,
) -> Connection[MasterKey] | None:
    given = filter or MasterKeyFilter()
    return await paginate(
        info,
        repository.MASTER_KEY_MODEL,
        MasterKey.from_row,
        first=first,
        after=after,
        filters={"active": given.active},
    )
