"""Invitations: create, revoke, accept."""

from typing import ClassVar

import strawberry

from app.customers import service
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Invitation, Membership
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import writer
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import MemberRole
from app.models.customers import Customer


@strawberry.input
class InvitationCreateInput:
    customer_id: strawberry.ID
    email: str
    role: MemberRole


@strawberry.type
class InvitationCreatePayload(Payload):
    invitation: Invitation | None = None
    accept_url: str | None = strawberry.field(
        default=None, description="The one-time link (7 days), shown once: send it to the invitee."
    )

    secret_fields: ClassVar[frozenset[str]] = frozenset({"accept_url"})


@mutation(writer, "Invite an email address to join a customer; the link is valid 7 days.")
async def invitation_create(
    info: Info, input: InvitationCreateInput, uow: UnitOfWork
) -> InvitationCreatePayload:
    issued = await service.create_invitation(
        uow,
        info.context.require_principal(),
        customer_id=customer_id_of(input.customer_id),
        email=input.email,
        role=input.role,
        app_url=info.context.settings.public_url,
    )
    return InvitationCreatePayload(
        invitation=await read_back(uow.session, Invitation, issued.invitation.id),
        accept_url=issued.accept_url,
    )


@strawberry.input
class InvitationRevokeInput:
    invitation_id: strawberry.ID


@strawberry.type
class InvitationRevokePayload(Payload):
    invitation: Invitation | None = None


@mutation(writer, "Revoke a pending invitation.")
async def invitation_revoke(
    info: Info, input: InvitationRevokeInput, uow: UnitOfWork
) -> InvitationRevokePayload:
    invitation = await service.revoke_invitation(
        uow,
        invitation_id=input_id(
            input.invitation_id, Invitation.PREFIX, "invitationId", "Invitation"
        ),
    )
    return InvitationRevokePayload(
        invitation=await read_back(uow.session, Invitation, invitation.id)
    )


@strawberry.input
class InvitationAcceptInput:
    token: str = strawberry.field(description="The `token` of the invitation link.")


@strawberry.type
class InvitationAcceptPayload(Payload):
    membership: Membership | None = strawberry.field(
        default=None,
        description="Null on an idempotent replay when the new member cannot read it (MEMBER).",
    )
    invitation: Invitation | None = None
    # Plain values survive an idempotent replay whatever the invitee's scope, unlike objects.
    customer_id: strawberry.ID | None = None
    role: MemberRole | None = None


@mutation(writer, "Accept an invitation as the signed-in user it was sent to (joins once).")
async def invitation_accept(
    info: Info, input: InvitationAcceptInput, uow: UnitOfWork
) -> InvitationAcceptPayload:
    accepted = await service.accept_invitation(
        uow, info.context.require_principal(), token=input.token
    )
    return InvitationAcceptPayload(
        membership=await read_back(uow.session, Membership, accepted.membership.id),
        invitation=await read_back(uow.session, Invitation, accepted.invitation.id),
        customer_id=strawberry.ID(encode(Customer.PREFIX, accepted.membership.customer_id)),
        role=accepted.membership.role,
    )
