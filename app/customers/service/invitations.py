"""Invitations: an emailed link to join a customer with a role, accepted once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.auth.principal import Principal
from app.auth.tokens import INVITATION_PREFIX
from app.customers import repository
from app.customers.service.common import (
    INVITATION_TTL,
    customer_in_scope,
)
from app.customers.service.members import publish_membership, require_owner_power
from app.kit import clock
from app.kit.crypto import random_token, token_hash
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email
from app.models import (
    Customer,
    CustomerStatus,
    Invitation,
    InvitationStatus,
    MemberRole,
    Membership,
    User,
)
from app.outbox.mail import queue_mail


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation: Invitation
    accept_url: str


def _record_invitation(uow: UnitOfWork, action: str, invitation: Invitation, **after: Any) -> None:
    uow.record(
        action,
        "Invitation",
        encode(Invitation.PREFIX, invitation.id),
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
    customer = await customer_in_scope(uow, customer_id)
    if customer.status is CustomerStatus.DEACTIVATED:
        # Nobody could accept it (acceptance refuses a deactivated customer).
        raise UserInputError("This customer is deactivated.", ErrorCode.INVALID_STATE, "customerId")
    if role is MemberRole.OWNER:
        await require_owner_power(uow, principal, customer.id, "role")
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
    queue_mail(
        uow,
        "invitation",
        to=email,
        context={"customerName": customer.name, "role": role.value, "invitedBy": None},
        secret_link=url,
        customer_id=customer.id,
    )
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
    joined = membership is None
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
        membershipId=encode(Membership.PREFIX, membership.id),
        userId=encode(User.PREFIX, user.id),
        memberRole=membership.role,
    )
    if joined:
        publish_membership(uow, "member.added", membership, customer)
    return Acceptance(membership, invitation)
