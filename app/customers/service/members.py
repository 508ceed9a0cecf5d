"""Members of a customer: add, change a role, remove; an account never loses its last OWNER."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.auth.principal import Principal
from app.customers import repository
from app.customers.service.common import (
    customer_in_scope,
    is_master,
)
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email
from app.models import (
    Customer,
    MemberRole,
    Membership,
    User,
    UserStatus,
)


def membership_view(membership: Membership) -> dict[str, Any]:
    return {"userId": encode(User.PREFIX, membership.user_id), "role": membership.role}


def record_membership(
    uow: UnitOfWork,
    action: str,
    membership: Membership,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    uow.record(
        action,
        "Membership",
        encode(Membership.PREFIX, membership.id),
        before=before,
        after=after,
        customer_id=membership.customer_id,
    )


def publish_membership(
    uow: UnitOfWork, event_type: str, membership: Membership, customer: Customer
) -> None:
    """`member.added`, `member.removed`, `member.role_changed` for the customer's webhooks."""
    uow.publish(
        event_type,
        {
            "customerId": encode(Customer.PREFIX, customer.id),
            "slug": customer.slug,
            "membershipId": encode(Membership.PREFIX, membership.id),
            **membership_view(membership),
        },
        customer_id=customer.id,
    )


async def require_owner_power(
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
    if not is_master(uow):
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
    customer = await customer_in_scope(uow, customer_id)
    if role is MemberRole.OWNER:
        await require_owner_power(uow, principal, customer.id, "role")
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
    record_membership(uow, "member.add", membership, {}, membership_view(membership))
    publish_membership(uow, "member.added", membership, customer)
    return membership


async def update_member_role(
    uow: UnitOfWork,
    principal: Principal,
    *,
    customer_id: uuid.UUID,
    user_id: uuid.UUID,
    role: MemberRole,
) -> Membership:
    customer = await customer_in_scope(uow, customer_id)
    membership = await _membership(uow, customer, user_id)
    if membership.role is role:
        return membership
    if MemberRole.OWNER in (membership.role, role):
        await require_owner_power(uow, principal, customer.id, "role")
    if membership.role is MemberRole.OWNER:
        await _keep_an_owner(uow, customer.id, "role")
    before = membership_view(membership)
    membership.role = role
    await uow.session.flush()
    record_membership(uow, "member.role_update", membership, before, membership_view(membership))
    publish_membership(uow, "member.role_changed", membership, customer)
    return membership


@dataclass(frozen=True, slots=True)
class Removal:
    membership_public_id: str
    customer: Customer


async def remove_member(
    uow: UnitOfWork, principal: Principal, *, customer_id: uuid.UUID, user_id: uuid.UUID
) -> Removal:
    customer = await customer_in_scope(uow, customer_id)
    membership = await _membership(uow, customer, user_id)
    if membership.role is MemberRole.OWNER:
        await require_owner_power(uow, principal, customer.id, "userId")
        await _keep_an_owner(uow, customer.id, "userId")
    before = membership_view(membership)
    await uow.session.delete(membership)
    await uow.session.flush()
    record_membership(uow, "member.remove", membership, before, {})
    publish_membership(uow, "member.removed", membership, customer)
    return Removal(encode(Membership.PREFIX, membership.id), customer)
