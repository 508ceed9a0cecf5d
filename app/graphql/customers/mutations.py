"""Customer account mutations: lifecycle and notes (master), members, invitations, projects.

Members, invitations, projects and `customerUpdate` are open to session admins: the service
loads every target through the caller's row scope, so another customer's objects read NOT_FOUND.
That holds for the user `memberAdd` enrols too: a session admin adds only someone who already
belongs to one of their customers; anyone else joins through an invitation they accept.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

import strawberry

from app.customers import service
from app.graphql.context import Info
from app.graphql.customers.types import Customer, CustomerNote, Invitation, Membership, Project
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import master_writer, writer
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.models import MemberRole


def _customer_id(value: strawberry.ID) -> uuid.UUID:
    customer_id: uuid.UUID = input_id(value, "cus", "customerId", "Customer")
    return customer_id


def _user_id(value: strawberry.ID) -> uuid.UUID:
    user_id: uuid.UUID = input_id(value, "usr", "userId", "User")
    return user_id


# ---------------------------------------------------------------- customers


@strawberry.input
class CustomerCreateInput:
    slug: str = strawberry.field(description="Unique; lowercase letters, digits, inner hyphens.")
    name: str
    billing_email: str
    plan_code: str | None = None


@strawberry.type
class CustomerCreatePayload(Payload):
    customer: Customer | None = None


@mutation(master_writer, "Create a customer account; the slug is unique.")
async def customer_create(
    info: Info, input: CustomerCreateInput, uow: UnitOfWork
) -> CustomerCreatePayload:
    customer = await service.create_customer(
        uow,
        slug=input.slug,
        name=input.name,
        billing_email=input.billing_email,
        plan_code=input.plan_code,
    )
    return CustomerCreatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerUpdateInput:
    customer_id: strawberry.ID
    name: str | None = None
    billing_email: str | None = None
    slug: str | None = strawberry.field(default=None, description="Master only.")
    plan_code: str | None = strawberry.field(default=None, description="Master only.")


@strawberry.type
class CustomerUpdatePayload(Payload):
    customer: Customer | None = None


@mutation(writer, "Change name and billing email (session admins too), slug and plan (master).")
async def customer_update(
    info: Info, input: CustomerUpdateInput, uow: UnitOfWork
) -> CustomerUpdatePayload:
    customer = await service.update_customer(
        uow,
        customer_id=_customer_id(input.customer_id),
        name=input.name,
        billing_email=input.billing_email,
        slug=input.slug,
        plan_code=input.plan_code,
    )
    return CustomerUpdatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerDeactivateInput:
    customer_id: strawberry.ID
    reason: str = strawberry.field(description="Why (1–500 characters).")


@strawberry.type
class CustomerDeactivatePayload(Payload):
    customer: Customer | None = None


@mutation(
    master_writer, "Deactivate (deletion): nothing is destroyed; members can no longer use it."
)
async def customer_deactivate(
    info: Info, input: CustomerDeactivateInput, uow: UnitOfWork
) -> CustomerDeactivatePayload:
    customer = await service.deactivate_customer(
        uow, customer_id=_customer_id(input.customer_id), reason=input.reason
    )
    return CustomerDeactivatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerReactivateInput:
    customer_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Up to 500 characters.")


@strawberry.type
class CustomerReactivatePayload(Payload):
    customer: Customer | None = None


@mutation(master_writer, "Make a deactivated customer usable again.")
async def customer_reactivate(
    info: Info, input: CustomerReactivateInput, uow: UnitOfWork
) -> CustomerReactivatePayload:
    customer = await service.reactivate_customer(
        uow, customer_id=_customer_id(input.customer_id), reason=input.reason
    )
    return CustomerReactivatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerNoteCreateInput:
    customer_id: strawberry.ID
    body: str = strawberry.field(description="1–5,000 characters.")


@strawberry.type
class CustomerNoteCreatePayload(Payload):
    customer_note: CustomerNote | None = None


@mutation(master_writer, "Add a staff note to a customer.")
async def customer_note_create(
    info: Info, input: CustomerNoteCreateInput, uow: UnitOfWork
) -> CustomerNoteCreatePayload:
    note = await service.add_note(uow, customer_id=_customer_id(input.customer_id), body=input.body)
    return CustomerNoteCreatePayload(
        customer_note=await read_back(uow.session, CustomerNote, note.id)
    )


# ---------------------------------------------------------------- members


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
        customer_id=_customer_id(input.customer_id),
        user_id=_user_id(input.user_id) if input.user_id is not None else None,
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
        customer_id=_customer_id(input.customer_id),
        user_id=_user_id(input.user_id),
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
        customer_id=_customer_id(input.customer_id),
        user_id=_user_id(input.user_id),
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
        skipped=[strawberry.ID(encode("cus", pk)) for pk in done.skipped],
        memberships=[
            await read_back(uow.session, Membership, membership.id)
            for membership in done.memberships
        ],
    )


# ---------------------------------------------------------------- invitations


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
        customer_id=_customer_id(input.customer_id),
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
        uow, invitation_id=input_id(input.invitation_id, "inv", "invitationId", "Invitation")
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
        customer_id=strawberry.ID(encode("cus", accepted.membership.customer_id)),
        role=accepted.membership.role,
    )


# ---------------------------------------------------------------- projects


@strawberry.input
class ProjectCreateInput:
    customer_id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Unique within the customer.")


@strawberry.type
class ProjectCreatePayload(Payload):
    project: Project | None = None


@mutation(writer, "Create a project; its slug is unique within the customer.")
async def project_create(
    info: Info, input: ProjectCreateInput, uow: UnitOfWork
) -> ProjectCreatePayload:
    project = await service.create_project(
        uow, customer_id=_customer_id(input.customer_id), name=input.name, slug=input.slug
    )
    return ProjectCreatePayload(project=await read_back(uow.session, Project, project.id))


def _project_id(value: strawberry.ID) -> uuid.UUID:
    project_id: uuid.UUID = input_id(value, "prj", "projectId", "Project")
    return project_id


@strawberry.input
class ProjectUpdateInput:
    project_id: strawberry.ID
    name: str | None = None
    slug: str | None = None


@strawberry.type
class ProjectUpdatePayload(Payload):
    project: Project | None = None


@mutation(writer, "Rename a project or change its slug.")
async def project_update(
    info: Info, input: ProjectUpdateInput, uow: UnitOfWork
) -> ProjectUpdatePayload:
    project = await service.update_project(
        uow, project_id=_project_id(input.project_id), name=input.name, slug=input.slug
    )
    return ProjectUpdatePayload(project=await read_back(uow.session, Project, project.id))


@strawberry.input
class ProjectDeleteInput:
    project_id: strawberry.ID


@strawberry.type
class ProjectDeletePayload(Payload):
    deleted_project_id: strawberry.ID | None = None
    customer: Customer | None = None


@mutation(writer, "Delete a project; refused while it holds active API keys.")
async def project_delete(
    info: Info, input: ProjectDeleteInput, uow: UnitOfWork
) -> ProjectDeletePayload:
    deletion = await service.delete_project(uow, project_id=_project_id(input.project_id))
    return ProjectDeletePayload(
        deleted_project_id=strawberry.ID(deletion.project_public_id),
        customer=await read_back(uow.session, Customer, deletion.customer.id),
    )


# ---------------------------------------------------------------- the fields
