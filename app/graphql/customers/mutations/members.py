"""Members: add, change a role, remove; the owners backfill."""

import strawberry

from app.customers import service
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of, user_id_of
from app.graphql.customers.types import Customer, Membership
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer, writer
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import MemberRole


@strawberry.input
class MemberAddInput:
    customer_id: strawberry.ID
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Give this or `email`."
    )
    email: str | None = strawberry.field(
        default=None,
        description="Of an existing user (a session admin: one in their customers).",
    )
    role: MemberRole


@strawberry.type
class MemberAddPayload(Payload):
    membership: Membership | None = None


@mutation(
    writer,
    (
        "Add an existing user (id or email) to a customer: a master anyone, a session admin"
        " only a user already in one of their customers (invite anyone else)."
        " Only an OWNER grants OWNER."
    ),
)
async def member_add(info: Info, input: MemberAddInput, uow: UnitOfWork) -> MemberAddPayload:
    membership = await service.add_member(
        uow,
        info.context.require_principal(),
        customer_id=customer_id_of(input.customer_id),
        user_id=user_id_of(input.user_id) if input.user_id is not None else None,
        email=input.email,
        role=input.role,
    )
    return MemberAddPayload(membership=await read_back(uow.session, Membership, membership.id))


@strawberry.input
class MemberRoleUpdateInput:
    customer_id: strawberry.ID
    user_id: strawberry.ID
    role: MemberRole


@strawberry.type
class MemberRoleUpdatePayload(Payload):
    membership: Membership | None = None


@mutation(writer, "Change a member's role; the last OWNER cannot be demoted.")
async def member_role_update(
    info: Info, input: MemberRoleUpdateInput, uow: UnitOfWork
) -> MemberRoleUpdatePayload:
    membership = await service.update_member_role(
        uow,
        info.context.require_principal(),
        customer_id=customer_id_of(input.customer_id),
        user_id=user_id_of(input.user_id),
        role=input.role,
    )
    return MemberRoleUpdatePayload(
        membership=await read_back(uow.session, Membership, membership.id)
    )


@strawberry.input
class MemberRemoveInput:
    customer_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.type
class MemberRemovePayload(Payload):
    removed_membership_id: strawberry.ID | None = None
    customer: Customer | None = None


@mutation(writer, "Remove a member; the last OWNER cannot be removed.")
async def member_remove(
    info: Info, input: MemberRemoveInput, uow: UnitOfWork
) -> MemberRemovePayload:
    removal = await service.remove_member(
        uow,
        info.context.require_principal(),
        customer_id=customer_id_of(input.customer_id),
        user_id=user_id_of(input.user_id),
    )
    return MemberRemovePayload(
        removed_membership_id=strawberry.ID(removal.membership_public_id),
        customer=await read_back(uow.session, Customer, removal.customer.id),
    )


@strawberry.type
class MembersBackfillPayload(Payload):
    created: int | None = strawberry.field(
        default=None, description="Customers given an OWNER (new members and promotions)."
    )
    promoted: int | None = strawberry.field(
        default=None, description="Of those, billing-email users who were members already."
    )
    skipped: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Customers without an OWNER whose billing email names no user."
    )
    memberships: list[Membership] | None = strawberry.field(
        default=None, description="The OWNER memberships created or promoted."
    )


@mutation(
    master_writer, "Make each OWNER-less customer's billing-email user its OWNER (idempotent)."
)
async def members_backfill(info: Info, uow: UnitOfWork) -> MembersBackfillPayload:
    done = await service.backfill_owners(uow)
    return MembersBackfillPayload(
        created=done.created,
        promoted=done.promoted,
        skipped=[strawberry.ID(encode(Customer.PREFIX, pk)) for pk in done.skipped],
        memberships=[
            await read_back(uow.session, Membership, membership.id)
            for membership in done.memberships
        ],
    )
