"""SQL for customers, their members, invitations and notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import (
    Composite,
    Computed,
    ReadModel,
    Relation,
    RelationKind,
    many,
    one,
    registry,
    row_filter,
    scoped_by,
    staff_only,
)
from app.kit.scope import RowScope
from app.models import (
    Customer,
    Invitation,
    InvitationStatus,
    MemberRole,
    Membership,
    User,
    UserStatus,
)
from app.models.base import UTCDateTime, enum_column
from app.models.coupons import discount_is_active
from app.models.customers import CustomerNote
from app.models.tables import (
    BILLING_PROFILES,
    CREDIT_TRANSACTIONS,
    CUSTOMER_NOTES,
    CUSTOMERS,
    INVITATIONS,
    INVOICES,
    MEMBERSHIPS,
    PLANS,
    SUBSCRIPTIONS,
    USERS,
)
from app.users.repository import USER_MODEL


def _plan_code(code: str) -> sa.ColumnElement[bool]:
    # The plan catalog is no tenant data: the customer row itself is what the scope restricts.
    return CUSTOMERS.c.plan_id.in_(sa.select(PLANS.c.id).where(PLANS.c.code == code))


def _search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        sa.func.lower(CUSTOMERS.c.name).contains(lowered, autoescape=True),
        CUSTOMERS.c.slug.contains(lowered, autoescape=True),
        sa.func.lower(CUSTOMERS.c.billing_email).contains(lowered, autoescape=True),
    )


def _created_from(value: datetime) -> sa.ColumnElement[bool]:
    return CUSTOMERS.c.created_at >= sa.literal(value, UTCDateTime())


def _created_before(value: datetime) -> sa.ColumnElement[bool]:
    return CUSTOMERS.c.created_at < sa.literal(value, UTCDateTime())


# ---------------------------------------------------------------- billing figures
#
# Correlated subqueries on the customer row: a page of customers reads its credit balances,
# lifetime values and tax ids in its own statement (the rules: app/billing/credits, invoices).


def _credit_balance() -> sa.ColumnElement[int]:
    """The credit ledger's sum, leaving out entries of expired lots."""
    expires = CREDIT_TRANSACTIONS.c.expires_at
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(CREDIT_TRANSACTIONS.c.amount), 0))
        .where(
            CREDIT_TRANSACTIONS.c.customer_id == CUSTOMERS.c.id,
            sa.or_(expires.is_(None), expires > sa.literal(clock.now(), UTCDateTime())),
        )
        .scalar_subquery()
    )
    return sa.cast(total, sa.BigInteger)


def _first_currency(table: sa.Table) -> sa.ColumnElement[str]:
    first = (
        sa.select(table.c.currency)
        .where(table.c.customer_id == CUSTOMERS.c.id)
        .order_by(table.c.created_at, table.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(first, "USD")


def _lifetime_value() -> sa.ColumnElement[int]:
    """Paid invoices less their credit notes."""
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(INVOICES.c.total - INVOICES.c.credited_total), 0))
        .where(INVOICES.c.customer_id == CUSTOMERS.c.id, INVOICES.c.status == "PAID")
        .scalar_subquery()
    )
    return sa.cast(total, sa.BigInteger)


def _tax_id() -> sa.ColumnElement[str]:
    return (
        sa.select(BILLING_PROFILES.c.tax_id)
        .where(BILLING_PROFILES.c.customer_id == CUSTOMERS.c.id)
        .scalar_subquery()
    )


def _open_invoice() -> sa.ColumnElement[bool]:
    return INVOICES.c.status == "OPEN"


CUSTOMER_MODEL = registry.register(
    ReadModel(
        name="Customer",
        table=CUSTOMERS,
        prefix=Customer.PREFIX,
        fields={
            "slug": "slug",
            "name": "name",
            "status": "status",
            "billingEmail": "billing_email",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
            "deactivatedAt": "deactivated_at",
            "deactivationReason": "deactivation_reason",
            "creditBalance": Composite(
                {
                    "amount": Computed(_credit_balance),
                    "currency": Computed(lambda: _first_currency(CREDIT_TRANSACTIONS)),
                }
            ),
            "lifetimeValue": Composite(
                {
                    "amount": Computed(_lifetime_value),
                    "currency": Computed(lambda: _first_currency(INVOICES)),
                }
            ),
            "taxId": Computed(_tax_id),
        },
        scope=scoped_by(CUSTOMERS.c.id),
        relations=(
            one("plan", "Plan", "plan_id"),
            # The live subscription (at most one: a partial unique index holds it).
            Relation(
                "subscription",
                "Subscription",
                "id",
                "customer_id",
                RelationKind.ONE,
                where=lambda: SUBSCRIPTIONS.c.status != "CANCELED",
            ),
            many("billingOverrideSkips", "BillingOverrideSkip", "customer_id"),
            many("members", "Membership", "customer_id"),
            many("invitations", "Invitation", "customer_id", arguments=("status",)),
            many("projects", "Project", "customer_id", arguments=("search",)),
            many("apiKeys", "ApiKey", "customer_id", arguments=("status",)),
            many("notes", "CustomerNote", "customer_id"),
            many("invoices", "Invoice", "customer_id", arguments=("status",)),
            many("creditTransactions", "CreditTransaction", "customer_id"),
            many("creditNotes", "CreditNote", "customer_id"),
            one("billingAddress", "BillingAddress", "id", "customer_id"),
            many(
                "openInvoicesCount",
                "Invoice",
                "customer_id",
                RelationKind.COUNT,
                where=_open_invoice,
            ),
            # Active discounts only; the Discount model is billing's (registered there).
            many(
                "discounts",
                "Discount",
                "customer_id",
                RelationKind.LIST,
                where=lambda: discount_is_active(clock.now()),
            ),
            many("webhookEndpoints", "WebhookEndpoint", "customer_id"),
        ),
        filters={
            "status": row_filter(lambda status: CUSTOMERS.c.status == status),
            "plan_code": row_filter(_plan_code),
            "search": row_filter(_search),
            "created_after": row_filter(_created_from),
            "created_before": row_filter(_created_before),
        },
        orderings={
            "CREATED_AT": CUSTOMERS.c.created_at,
            "NAME": CUSTOMERS.c.name,
            "SLUG": CUSTOMERS.c.slug,
        },
        master_only=frozenset({"notes", "deactivationReason", "billingOverrideSkips"}),
        resolved=frozenset({"mrr", "effectiveLimits", "daily"}),
    )
)

MEMBERSHIP_MODEL = registry.register(
    ReadModel(
        name="Membership",
        table=MEMBERSHIPS,
        prefix=Membership.PREFIX,
        fields={"role": "role", "createdAt": "created_at"},
        scope=scoped_by(MEMBERSHIPS.c.customer_id),
        relations=(one("customer", "Customer", "customer_id"), one("user", "User", "user_id")),
        filters={
            "role": row_filter(lambda role: MEMBERSHIPS.c.role == role),
            "customer_id": row_filter(lambda customer_id: MEMBERSHIPS.c.customer_id == customer_id),
            "user_id": row_filter(lambda user_id: MEMBERSHIPS.c.user_id == user_id),
        },
        orderings={"CREATED_AT": MEMBERSHIPS.c.created_at},
    )
)


def invitation_status_condition(status: InvitationStatus) -> sa.ColumnElement[bool]:
    """Rows whose derived status is `status` (PENDING past its expiry reads EXPIRED)."""
    now = sa.literal(clock.now(), UTCDateTime())
    open_ = sa.and_(INVITATIONS.c.accepted_at.is_(None), INVITATIONS.c.revoked_at.is_(None))
    if status is InvitationStatus.ACCEPTED:
        return INVITATIONS.c.accepted_at.isnot(None)
    if status is InvitationStatus.REVOKED:
        return sa.and_(INVITATIONS.c.accepted_at.is_(None), INVITATIONS.c.revoked_at.isnot(None))
    if status is InvitationStatus.EXPIRED:
        return sa.and_(open_, INVITATIONS.c.expires_at <= now)
    return sa.and_(open_, INVITATIONS.c.expires_at > now)


def invitation_status_expression() -> sa.ColumnElement[InvitationStatus]:
    """The derived status in SQL: the same rule as `invitation_status_condition`."""
    now = sa.literal(clock.now(), UTCDateTime())
    case = sa.case(
        (INVITATIONS.c.accepted_at.isnot(None), sa.literal(InvitationStatus.ACCEPTED.value)),
        (INVITATIONS.c.revoked_at.isnot(None), sa.literal(InvitationStatus.REVOKED.value)),
        (INVITATIONS.c.expires_at <= now, sa.literal(InvitationStatus.EXPIRED.value)),
        else_=sa.literal(InvitationStatus.PENDING.value),
    )
    # The enum column type turns the text back into an `InvitationStatus` when rows are read.
    return sa.type_coerce(case, cast(Any, enum_column(InvitationStatus)))


def invitation_status(invitation: Any, now: datetime) -> InvitationStatus:
    """The same rule as `invitation_status_condition`, for one row already loaded."""
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= now:
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


INVITATION_MODEL = registry.register(
    ReadModel(
        name="Invitation",
        table=INVITATIONS,
        prefix=Invitation.PREFIX,
        fields={
            "email": "email",
            "role": "role",
            "status": Computed(invitation_status_expression),
            "invitedBy": "invited_by",
            "createdAt": "created_at",
            "expiresAt": "expires_at",
            "acceptedAt": "accepted_at",
            "revokedAt": "revoked_at",
        },
        scope=scoped_by(INVITATIONS.c.customer_id),
        relations=(one("customer", "Customer", "customer_id"),),
        filters={
            "customer_id": row_filter(lambda customer_id: INVITATIONS.c.customer_id == customer_id),
            "status": row_filter(invitation_status_condition),
            "email": row_filter(lambda email: INVITATIONS.c.email == email),
        },
        orderings={"CREATED_AT": INVITATIONS.c.created_at},
    )
)


CUSTOMER_NOTE_MODEL = registry.register(
    ReadModel(
        name="CustomerNote",
        table=CUSTOMER_NOTES,
        prefix=CustomerNote.PREFIX,
        fields={"body": "body", "authorId": "author_id", "createdAt": "created_at"},
        scope=staff_only,
        filters={
            "customer_id": row_filter(
                lambda customer_id: CUSTOMER_NOTES.c.customer_id == customer_id
            )
        },
        orderings={"CREATED_AT": CUSTOMER_NOTES.c.created_at},
    )
)


# ---------------------------------------------------------------- writes' lookups
#
# Every lookup of a mutation's target takes the caller's row scope, so a target outside it is
# indistinguishable from an absent one (both NOT_FOUND).


async def customer_for_update(
    session: AsyncSession, customer_id: uuid.UUID, scope: RowScope
) -> Customer | None:
    """The customer in scope, row-locked: changes to one account's members and invitations
    queue behind each other, so two requests cannot both remove "the other" OWNER."""
    statement = (
        sa.select(Customer)
        .where(CUSTOMERS.c.id == customer_id, *CUSTOMER_MODEL.conditions(scope))
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def slug_taken(session: AsyncSession, slug: str, except_id: uuid.UUID | None = None) -> bool:
    statement = sa.select(CUSTOMERS.c.id).where(CUSTOMERS.c.slug == slug)
    if except_id is not None:
        statement = statement.where(CUSTOMERS.c.id != except_id)
    return (await session.execute(statement.limit(1))).first() is not None


async def plan_id_by_code(session: AsyncSession, code: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        sa.select(PLANS.c.id).where(PLANS.c.code == code)
    )
    return found


async def plan_code(session: AsyncSession, plan_id: uuid.UUID | None) -> str | None:
    if plan_id is None:
        return None
    found: str | None = await session.scalar(sa.select(PLANS.c.code).where(PLANS.c.id == plan_id))
    return found


async def membership_of(
    session: AsyncSession, customer_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    statement = sa.select(Membership).where(
        MEMBERSHIPS.c.customer_id == customer_id, MEMBERSHIPS.c.user_id == user_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def owner_count(session: AsyncSession, customer_id: uuid.UUID) -> int:
    statement = sa.select(sa.func.count()).where(
        MEMBERSHIPS.c.customer_id == customer_id, MEMBERSHIPS.c.role == MemberRole.OWNER
    )
    return int((await session.execute(statement)).scalar_one())


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def user_in_scope(session: AsyncSession, user_id: uuid.UUID, scope: RowScope) -> User | None:
    """The user, if the caller may see them: for a session admin, a member of their customers."""
    statement = sa.select(User).where(USERS.c.id == user_id, *USER_MODEL.conditions(scope))
    return (await session.execute(statement)).scalar_one_or_none()


async def live_user_by_email(session: AsyncSession, email: str, scope: RowScope) -> User | None:
    """The live user with this email, if the caller may see them (as `user_in_scope`)."""
    statement = sa.select(User).where(
        USERS.c.email == email, USERS.c.status != UserStatus.DELETED, *USER_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def member_with_email(session: AsyncSession, customer_id: uuid.UUID, email: str) -> bool:
    statement = sa.select(MEMBERSHIPS.c.id).where(
        MEMBERSHIPS.c.customer_id == customer_id,
        MEMBERSHIPS.c.user_id.in_(sa.select(USERS.c.id).where(USERS.c.email == email)),
    )
    return (await session.execute(statement.limit(1))).first() is not None


async def pending_invitation_exists(
    session: AsyncSession, customer_id: uuid.UUID, email: str
) -> bool:
    statement = sa.select(INVITATIONS.c.id).where(
        INVITATIONS.c.customer_id == customer_id,
        INVITATIONS.c.email == email,
        invitation_status_condition(InvitationStatus.PENDING),
    )
    return (await session.execute(statement.limit(1))).first() is not None


async def invitation_for_update(
    session: AsyncSession, invitation_id: uuid.UUID, scope: RowScope
) -> Invitation | None:
    statement = (
        sa.select(Invitation)
        .where(INVITATIONS.c.id == invitation_id, *INVITATION_MODEL.conditions(scope))
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def invitation_by_token_hash(session: AsyncSession, token_hash: str) -> Invitation | None:
    """Unscoped on purpose: the invitee is usually no admin; the token is the credential."""
    statement = (
        sa.select(Invitation).where(INVITATIONS.c.token_hash == token_hash).with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def owner_backfill_candidates(
    session: AsyncSession,
) -> Sequence[sa.Row[Any, Any, Any, Any]]:
    """Customers without an OWNER, each with the live user of its billing email (if any) and
    that user's current membership (if any)."""
    existing = MEMBERSHIPS.alias("existing")
    has_owner = sa.exists().where(
        MEMBERSHIPS.c.customer_id == CUSTOMERS.c.id, MEMBERSHIPS.c.role == MemberRole.OWNER
    )
    billing_user = sa.and_(
        USERS.c.email == sa.func.lower(CUSTOMERS.c.billing_email),
        USERS.c.status != UserStatus.DELETED,
    )
    statement = (
        sa.select(
            CUSTOMERS.c.id.label("customer_id"),
            USERS.c.id.label("user_id"),
            existing.c.id.label("membership_id"),
            existing.c.role.label("role"),
        )
        .select_from(
            CUSTOMERS.outerjoin(USERS, billing_user).outerjoin(
                existing,
                sa.and_(existing.c.customer_id == CUSTOMERS.c.id, existing.c.user_id == USERS.c.id),
            )
        )
        .where(~has_owner)
        .order_by(CUSTOMERS.c.created_at, CUSTOMERS.c.id)
    )
    return (await session.execute(statement)).all()


async def memberships_by_ids(
    session: AsyncSession, membership_ids: list[uuid.UUID]
) -> list[Membership]:
    if not membership_ids:
        return []
    statement = sa.select(Membership).where(MEMBERSHIPS.c.id.in_(membership_ids))
    return list((await session.execute(statement)).scalars().all())
