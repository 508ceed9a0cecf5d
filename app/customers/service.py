"""Business rules of customer accounts: lifecycle, members, invitations, projects, notes.

Services never commit: the caller owns the unit of work. Targets are loaded through the caller's
row scope, so whatever lies outside it answers NOT_FOUND, exactly like what does not exist.
Every change records one audit event carrying `customer_id`, so the customer's own admins see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.auth.principal import Principal
from app.auth.tokens import INVITATION_PREFIX
from app.customers import repository
from app.kit import clock
from app.kit.crypto import random_token, token_hash
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email, checked_slug, checked_text
from app.models import (
    Customer,
    CustomerNote,
    CustomerStatus,
    Invitation,
    InvitationStatus,
    MemberRole,
    Membership,
    Project,
    User,
    UserStatus,
)

MAX_NAME = 200
MAX_REASON = 500
MAX_NOTE = 5000
INVITATION_TTL = timedelta(days=7)


def _validated(**checks: Callable[[], str]) -> dict[str, str]:
    """Run every check and report all failures at once, as a form would."""
    values: dict[str, str] = {}
    problems: list[UserInputError] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except UserInputError as error:
            problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    return values


def _is_master(uow: UnitOfWork) -> bool:
    return uow.row_scope.is_everything


async def _customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await repository.customer_for_update(uow.session, customer_id, uow.row_scope)
    if customer is None:
        raise not_found("Customer", "customerId")
    return customer


# ---------------------------------------------------------------- customers


def customer_public_id(customer: Customer) -> str:
    return encode("cus", customer.id)


def snapshot(customer: Customer, plan_code: str | None) -> dict[str, Any]:
    """The audited view of a customer."""
    return {
        "slug": customer.slug,
        "name": customer.name,
        "billingEmail": customer.billing_email,
        "planCode": plan_code,
        "status": customer.status,
        "deactivationReason": customer.deactivation_reason,
    }


def _record_customer(
    uow: UnitOfWork, action: str, customer: Customer, before: dict[str, Any], after: dict[str, Any]
) -> None:
    uow.record(
        action,
        "Customer",
        customer_public_id(customer),
        before=before,
        after=after,
        customer_id=customer.id,
    )


async def _plan_id(uow: UnitOfWork, code: str) -> uuid.UUID:
    plan_id = await repository.plan_id_by_code(uow.session, code.strip())
    if plan_id is None:
        raise UserInputError("No plan has this code.", ErrorCode.NOT_FOUND, "planCode")
    return plan_id


async def _require_free_slug(
    uow: UnitOfWork, slug: str, except_id: uuid.UUID | None = None
) -> None:
    if await repository.slug_taken(uow.session, slug, except_id):
        raise UserInputError("Another customer has this slug.", ErrorCode.SLUG_TAKEN, "slug")


async def create_customer(
    uow: UnitOfWork, *, slug: str, name: str, billing_email: str, plan_code: str | None
) -> Customer:
    values = _validated(
        slug=lambda: checked_slug(slug),
        name=lambda: checked_text(name, "name", MAX_NAME),
        billing_email=lambda: checked_email(billing_email, "billingEmail"),
    )
    await _require_free_slug(uow, values["slug"])
    plan_id = await _plan_id(uow, plan_code) if plan_code is not None else None
    now = clock.now()
    customer = Customer(
        slug=values["slug"],
        name=values["name"],
        billing_email=values["billing_email"],
        plan_id=plan_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(customer)
    await uow.session.flush()
    plan = plan_code.strip() if plan_code is not None else None
    _record_customer(uow, "customer.create", customer, {}, snapshot(customer, plan))
    return customer


def _refuse_master_fields(uow: UnitOfWork, slug: str | None, plan_code: str | None) -> None:
    if _is_master(uow):
        return
    refused = [
        UserInputError(f"Only a master admin may change the {label}.", ErrorCode.FORBIDDEN, name)
        for name, label, value in (("slug", "slug", slug), ("planCode", "plan", plan_code))
        if value is not None
    ]
    if refused:
        raise UserInputErrors(refused)


async def update_customer(
    uow: UnitOfWork,
    *,
    customer_id: uuid.UUID,
    name: str | None = None,
    billing_email: str | None = None,
    slug: str | None = None,
    plan_code: str | None = None,
) -> Customer:
    """A session admin may change the name and billing email; a master anything here."""
    customer = await _customer(uow, customer_id)
    _refuse_master_fields(uow, slug, plan_code)
    checks: dict[str, Callable[[], str]] = {}
    if name is not None:
        checks["name"] = lambda: checked_text(name, "name", MAX_NAME)
    if billing_email is not None:
        checks["billing_email"] = lambda: checked_email(billing_email, "billingEmail")
    if slug is not None:
        checks["slug"] = lambda: checked_slug(slug)
    values = _validated(**checks)
    old_plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, old_plan)
    if "slug" in values and values["slug"] != customer.slug:
        await _require_free_slug(uow, values["slug"], customer.id)
        customer.slug = values["slug"]
    customer.name = values.get("name", customer.name)
    customer.billing_email = values.get("billing_email", customer.billing_email)
    new_plan = old_plan
    if plan_code is not None:
        customer.plan_id = await _plan_id(uow, plan_code)
        new_plan = plan_code.strip()
    after = snapshot(customer, new_plan)
    if after == before:
        return customer
    customer.updated_at = clock.now()
    await uow.session.flush()
    _record_customer(uow, "customer.update", customer, before, after)
    return customer


async def deactivate_customer(uow: UnitOfWork, *, customer_id: uuid.UUID, reason: str) -> Customer:
    """Nothing is destroyed: the account leaves its admins' scope and invitations to it fail."""
    reason = checked_text(reason, "reason", MAX_REASON)
    customer = await _customer(uow, customer_id)
    if customer.status is CustomerStatus.DEACTIVATED:
        raise UserInputError(
            "This customer is already deactivated.", ErrorCode.INVALID_STATE, "customerId"
        )
    plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, plan)
    now = clock.now()
    customer.status = CustomerStatus.DEACTIVATED
    customer.deactivated_at = now
    customer.deactivation_reason = reason
    customer.updated_at = now
    await uow.session.flush()
    _record_customer(uow, "customer.deactivate", customer, before, snapshot(customer, plan))
    return customer


async def reactivate_customer(
    uow: UnitOfWork, *, customer_id: uuid.UUID, reason: str | None
) -> Customer:
    reason = checked_text(reason or "", "reason", MAX_REASON, required=False)
    customer = await _customer(uow, customer_id)
    if customer.status is not CustomerStatus.DEACTIVATED:
        raise UserInputError(
            "This customer is not deactivated.", ErrorCode.INVALID_STATE, "customerId"
        )
    plan = await repository.plan_code(uow.session, customer.plan_id)
    before = snapshot(customer, plan)
    customer.status = CustomerStatus.ACTIVE
    customer.deactivated_at = None
    customer.deactivation_reason = None
    customer.updated_at = clock.now()
    await uow.session.flush()
    after = snapshot(customer, plan) | ({"reactivationReason": reason} if reason else {})
    _record_customer(uow, "customer.reactivate", customer, before, after)
    return customer


async def add_note(uow: UnitOfWork, *, customer_id: uuid.UUID, body: str) -> CustomerNote:
    body = checked_text(body, "body", MAX_NOTE)
    customer = await _customer(uow, customer_id)
    note = CustomerNote(
        customer_id=customer.id, author_id=uow.actor.id, body=body, created_at=clock.now()
    )
    uow.session.add(note)
    await uow.session.flush()
    uow.record(
        "customer_note.create",
        "CustomerNote",
        encode("cno", note.id),
        after={"customerId": customer_public_id(customer), "body": body},
        customer_id=customer.id,
    )
    return note


# ---------------------------------------------------------------- members


def _membership_view(membership: Membership) -> dict[str, Any]:
    return {"userId": encode("usr", membership.user_id), "role": membership.role}


def _record_membership(
    uow: UnitOfWork,
    action: str,
    membership: Membership,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    uow.record(
        action,
        "Membership",
        encode("mem", membership.id),
        before=before,
        after=after,
        customer_id=membership.customer_id,
    )


async def _require_owner_power(
    uow: UnitOfWork, principal: Principal, customer_id: uuid.UUID, field_name: str
) -> None:
    """Granting, changing or removing the OWNER role is for OWNERs (and masters) only."""
    if principal.is_master:
        return
    mine = None
    if principal.user_id is not None:
        mine = await repository.membership_of(uow.session, customer_id, principal.user_id)
    if mine is None or mine.role is not MemberRole.OWNER:
        raise UserInputError(
            "Only an OWNER may grant, change or remove the OWNER role.",
            ErrorCode.FORBIDDEN,
            field_name,
        )


async def _keep_an_owner(uow: UnitOfWork, customer_id: uuid.UUID, field_name: str) -> None:
    if await repository.owner_count(uow.session, customer_id) <= 1:
        raise UserInputError(
            "This is the last OWNER of the customer: make someone else OWNER first.",
            ErrorCode.LAST_OWNER,
            field_name,
        )


async def _membership(uow: UnitOfWork, customer: Customer, user_id: uuid.UUID) -> Membership:
    membership = await repository.membership_of(uow.session, customer.id, user_id)
    if membership is None:
        raise not_found("Member", "userId")
    return membership


NOT_ADDABLE = (
    "Only a user who already belongs to one of your customers can be added: "
    "invite anyone else with `invitationCreate`."
)


async def _user_to_add(uow: UnitOfWork, user_id: uuid.UUID | None, email: str | None) -> User:
    """The user `memberAdd` enrols, looked up through the caller's row scope.

    A master may add any live user. A session admin may add only a live user who already
    belongs to one of their customers (a colleague from another of them); anyone else joins
    by consent, `invitationCreate` then `invitationAccept`. Every other user they name gets
    the answer an unknown one gets, word for word, so it tells no account apart.
    """
    field_name = "userId" if user_id is not None else "email"
    if user_id is not None:
        user = await repository.user_in_scope(uow.session, user_id, uow.row_scope)
    else:
        assert email is not None  # exactly one of the two was given
        user = await repository.live_user_by_email(uow.session, email, uow.row_scope)
    if not _is_master(uow):
        if user is None or user.status is UserStatus.DELETED:
            raise UserInputError(NOT_ADDABLE, ErrorCode.NOT_FOUND, field_name)
        return user
    if user is None and user_id is not None:
        raise not_found("User", "userId")
    if user is None:
        raise UserInputError(
            "No user has this email: send them an invitation (`invitationCreate`) instead.",
            ErrorCode.NOT_FOUND,
            "email",
        )
    if user.status is UserStatus.DELETED:
        raise UserInputError("This user was deleted.", ErrorCode.INVALID_STATE, "userId")
    return user


async def add_member(
    uow: UnitOfWork,
    principal: Principal,
    *,
    customer_id: uuid.UUID,
    user_id: uuid.UUID | None,
    email: str | None,
    role: MemberRole,
) -> Membership:
    if (user_id is None) == (email is None):
        raise UserInputError(
            "Give exactly one of `userId` or `email`.", ErrorCode.INVALID, "userId"
        )
    email = checked_email(email) if email is not None else None
    customer = await _customer(uow, customer_id)
    if role is MemberRole.OWNER:
        await _require_owner_power(uow, principal, customer.id, "role")
    user = await _user_to_add(uow, user_id, email)
    if await repository.membership_of(uow.session, customer.id, user.id) is not None:
        raise UserInputError(
            "This user is already a member.",
            ErrorCode.CONFLICT,
            "userId" if user_id is not None else "email",
        )
    membership = Membership(
        customer_id=customer.id, user_id=user.id, role=role, created_at=clock.now()
    )
    uow.session.add(membership)
    await uow.session.flush()
    _record_membership(uow, "member.add", membership, {}, _membership_view(membership))
    return membership


async def update_member_role(
    uow: UnitOfWork,
    principal: Principal,
    *,
    customer_id: uuid.UUID,
    user_id: uuid.UUID,
    role: MemberRole,
) -> Membership:
    customer = await _customer(uow, customer_id)
    membership = await _membership(uow, customer, user_id)
    if membership.role is role:
        return membership
    if MemberRole.OWNER in (membership.role, role):
        await _require_owner_power(uow, principal, customer.id, "role")
    if membership.role is MemberRole.OWNER:
        await _keep_an_owner(uow, customer.id, "role")
    before = _membership_view(membership)
    membership.role = role
    await uow.session.flush()
    _record_membership(uow, "member.role_update", membership, before, _membership_view(membership))
    return membership


@dataclass(frozen=True, slots=True)
class Removal:
    membership_public_id: str
    customer: Customer


async def remove_member(
    uow: UnitOfWork, principal: Principal, *, customer_id: uuid.UUID, user_id: uuid.UUID
) -> Removal:
    customer = await _customer(uow, customer_id)
    membership = await _membership(uow, customer, user_id)
    if membership.role is MemberRole.OWNER:
        await _require_owner_power(uow, principal, customer.id, "userId")
        await _keep_an_owner(uow, customer.id, "userId")
    before = _membership_view(membership)
    await uow.session.delete(membership)
    await uow.session.flush()
    _record_membership(uow, "member.remove", membership, before, {})
    return Removal(encode("mem", membership.id), customer)


# ---------------------------------------------------------------- invitations


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation: Invitation
    accept_url: str


def _record_invitation(uow: UnitOfWork, action: str, invitation: Invitation, **after: Any) -> None:
    uow.record(
        action,
        "Invitation",
        encode("inv", invitation.id),
        after={"email": invitation.email, "role": invitation.role, **after},
        customer_id=invitation.customer_id,
    )


async def _require_not_invited(uow: UnitOfWork, customer: Customer, email: str) -> None:
    if await repository.member_with_email(uow.session, customer.id, email):
        raise UserInputError(
            "A user with this email is already a member.", ErrorCode.CONFLICT, "email"
        )
    if await repository.pending_invitation_exists(uow.session, customer.id, email):
        raise UserInputError(
            "A pending invitation for this email exists: revoke it first.",
            ErrorCode.CONFLICT,
            "email",
        )


async def create_invitation(
    uow: UnitOfWork,
    principal: Principal,
    *,
    customer_id: uuid.UUID,
    email: str,
    role: MemberRole,
    app_url: str,
) -> IssuedInvitation:
    email = checked_email(email)
    customer = await _customer(uow, customer_id)
    if customer.status is CustomerStatus.DEACTIVATED:
        # Nobody could accept it (acceptance refuses a deactivated customer).
        raise UserInputError("This customer is deactivated.", ErrorCode.INVALID_STATE, "customerId")
    if role is MemberRole.OWNER:
        await _require_owner_power(uow, principal, customer.id, "role")
    await _require_not_invited(uow, customer, email)
    token = random_token(INVITATION_PREFIX)
    now = clock.now()
    invitation = Invitation(
        customer_id=customer.id,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by_user_id=principal.user_id,
        invited_by=uow.actor.id,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    uow.session.add(invitation)
    await uow.session.flush()
    _record_invitation(uow, "invitation.create", invitation, expiresAt=invitation.expires_at)
    url = f"{app_url.rstrip('/')}/invitations/accept?token={token}"
    return IssuedInvitation(invitation, url)


async def revoke_invitation(uow: UnitOfWork, *, invitation_id: uuid.UUID) -> Invitation:
    invitation = await repository.invitation_for_update(uow.session, invitation_id, uow.row_scope)
    if invitation is None:
        raise not_found("Invitation", "invitationId")
    status = repository.invitation_status(invitation, clock.now())
    if status is not InvitationStatus.PENDING:
        raise UserInputError(
            f"Only a pending invitation can be revoked; this one is {status.value}.",
            ErrorCode.INVALID_STATE,
            "invitationId",
        )
    invitation.revoked_at = clock.now()
    await uow.session.flush()
    _record_invitation(uow, "invitation.revoke", invitation, status=InvitationStatus.REVOKED)
    return invitation


@dataclass(frozen=True, slots=True)
class Acceptance:
    membership: Membership
    invitation: Invitation


def _token_error(message: str, code: ErrorCode) -> UserInputError:
    return UserInputError(message, code, "token")


async def _usable_invitation(uow: UnitOfWork, token: str) -> Invitation:
    invitation = None
    if token.startswith(INVITATION_PREFIX):
        invitation = await repository.invitation_by_token_hash(uow.session, token_hash(token))
    # A revoked link reads like an unknown one: the invitee has nothing to do either way.
    if invitation is None or (invitation.revoked_at and invitation.accepted_at is None):
        raise _token_error("This invitation link is not valid.", ErrorCode.TOKEN_INVALID)
    return invitation


async def _replayed_acceptance(
    uow: UnitOfWork, invitation: Invitation, user_id: uuid.UUID
) -> Acceptance:
    """Opening an accepted link again, as its acceptor, answers with the same membership."""
    membership = None
    if invitation.accepted_by_user_id == user_id:
        membership = await repository.membership_of(uow.session, invitation.customer_id, user_id)
    if membership is None:
        raise _token_error("This invitation was already used.", ErrorCode.TOKEN_USED)
    return Acceptance(membership, invitation)


async def _invitee(uow: UnitOfWork, invitation: Invitation, user_id: uuid.UUID) -> User:
    user = await repository.get_user(uow.session, user_id)
    if user is None or user.email.lower() != invitation.email.lower():
        raise _token_error(
            "This invitation was sent to another email address.", ErrorCode.FORBIDDEN
        )
    return user


async def _joinable_customer(uow: UnitOfWork, invitation: Invitation) -> Customer:
    # The invitation, not the invitee's (usually empty) scope, is what grants the way in.
    customer = await repository.customer_for_update(uow.session, invitation.customer_id, EVERYTHING)
    if customer is None or customer.status is CustomerStatus.DEACTIVATED:
        raise _token_error("This customer is deactivated.", ErrorCode.INVALID_STATE)
    return customer


async def accept_invitation(uow: UnitOfWork, principal: Principal, *, token: str) -> Acceptance:
    """The signed-in user whose email was invited joins the customer, once.

    Someone who is a member already keeps the membership (and role) they have.
    """
    if principal.user_id is None:
        raise _token_error("Sign in as the invited user to accept.", ErrorCode.FORBIDDEN)
    invitation = await _usable_invitation(uow, token.strip())
    if invitation.accepted_at is not None:
        return await _replayed_acceptance(uow, invitation, principal.user_id)
    now = clock.now()
    if invitation.expires_at <= now:
        raise _token_error(
            "This invitation has expired: ask for a new one.", ErrorCode.TOKEN_EXPIRED
        )
    user = await _invitee(uow, invitation, principal.user_id)
    customer = await _joinable_customer(uow, invitation)
    membership = await repository.membership_of(uow.session, customer.id, user.id)
    if membership is None:
        membership = Membership(
            customer_id=customer.id, user_id=user.id, role=invitation.role, created_at=now
        )
        uow.session.add(membership)
    invitation.accepted_at = now
    invitation.accepted_by_user_id = user.id
    await uow.session.flush()
    _record_invitation(
        uow,
        "invitation.accept",
        invitation,
        membershipId=encode("mem", membership.id),
        userId=encode("usr", user.id),
        memberRole=membership.role,
    )
    return Acceptance(membership, invitation)


# ---------------------------------------------------------------- projects


def _project_view(project: Project) -> dict[str, Any]:
    return {"name": project.name, "slug": project.slug}


def _record_project(
    uow: UnitOfWork, action: str, project: Project, before: dict[str, Any], after: dict[str, Any]
) -> None:
    uow.record(
        action,
        "Project",
        encode("prj", project.id),
        before=before,
        after=after,
        customer_id=project.customer_id,
    )


async def _project(uow: UnitOfWork, project_id: uuid.UUID) -> Project:
    project = await repository.project_in_scope(uow.session, project_id, uow.row_scope)
    if project is None:
        raise not_found("Project", "projectId")
    return project


async def _require_free_project_slug(
    uow: UnitOfWork, customer_id: uuid.UUID, slug: str, except_id: uuid.UUID | None = None
) -> None:
    if await repository.project_slug_taken(uow.session, customer_id, slug, except_id):
        raise UserInputError(
            "Another project of this customer has this slug.", ErrorCode.SLUG_TAKEN, "slug"
        )


async def create_project(
    uow: UnitOfWork, *, customer_id: uuid.UUID, name: str, slug: str
) -> Project:
    values = _validated(
        name=lambda: checked_text(name, "name", MAX_NAME), slug=lambda: checked_slug(slug)
    )
    customer = await _customer(uow, customer_id)
    await _require_free_project_slug(uow, customer.id, values["slug"])
    now = clock.now()
    project = Project(
        customer_id=customer.id,
        name=values["name"],
        slug=values["slug"],
        created_at=now,
        updated_at=now,
    )
    uow.session.add(project)
    await uow.session.flush()
    _record_project(uow, "project.create", project, {}, _project_view(project))
    return project


async def update_project(
    uow: UnitOfWork, *, project_id: uuid.UUID, name: str | None, slug: str | None
) -> Project:
    checks: dict[str, Callable[[], str]] = {}
    if name is not None:
        checks["name"] = lambda: checked_text(name, "name", MAX_NAME)
    if slug is not None:
        checks["slug"] = lambda: checked_slug(slug)
    values = _validated(**checks)
    project = await _project(uow, project_id)
    before = _project_view(project)
    if "slug" in values and values["slug"] != project.slug:
        await _require_free_project_slug(uow, project.customer_id, values["slug"], project.id)
        project.slug = values["slug"]
    project.name = values.get("name", project.name)
    after = _project_view(project)
    if after == before:
        return project
    project.updated_at = clock.now()
    await uow.session.flush()
    _record_project(uow, "project.update", project, before, after)
    return project


@dataclass(frozen=True, slots=True)
class ProjectDeletion:
    project_public_id: str
    customer: Customer


async def delete_project(uow: UnitOfWork, *, project_id: uuid.UUID) -> ProjectDeletion:
    project = await _project(uow, project_id)
    if await repository.count_active_project_keys(uow.session, project.id):
        raise UserInputError(
            "This project holds active API keys: revoke them first.",
            ErrorCode.PROJECT_NOT_EMPTY,
            "projectId",
        )
    customer = await _customer(uow, project.customer_id)
    before = _project_view(project)
    await uow.session.delete(project)
    await uow.session.flush()
    _record_project(uow, "project.delete", project, before, {})
    return ProjectDeletion(encode("prj", project.id), customer)


# ---------------------------------------------------------------- owners backfill


@dataclass(frozen=True, slots=True)
class Backfill:
    memberships: list[Membership] = field(default_factory=list)
    promoted: int = 0
    skipped: list[uuid.UUID] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.memberships)


async def backfill_owners(uow: UnitOfWork) -> Backfill:
    """Give every customer without an OWNER its billing-email user as OWNER.

    A customer whose billing email names no live user is skipped (and reported); running it
    again changes nothing, since every customer it fixed now has an OWNER.
    """
    rows = await repository.owner_backfill_candidates(uow.session)
    promoted = await repository.memberships_by_ids(
        uow.session, [row.membership_id for row in rows if row.membership_id is not None]
    )
    roles_before = {membership.id: membership.role for membership in promoted}
    for membership in promoted:
        membership.role = MemberRole.OWNER
    now = clock.now()
    created = [
        Membership(
            customer_id=row.customer_id, user_id=row.user_id, role=MemberRole.OWNER, created_at=now
        )
        for row in rows
        if row.user_id is not None and row.membership_id is None
    ]
    uow.session.add_all(created)
    await uow.session.flush()
    for membership in promoted:
        before = {"userId": encode("usr", membership.user_id), "role": roles_before[membership.id]}
        _record_membership(
            uow, "members.backfill", membership, before, _membership_view(membership)
        )
    for membership in created:
        _record_membership(uow, "members.backfill", membership, {}, _membership_view(membership))
    skipped = [row.customer_id for row in rows if row.user_id is None]
    return Backfill([*promoted, *created], len(promoted), skipped)
