"""GraphQL types of the customers domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.billing.coupons.amounts import after_discounts
from app.customers.repository import (
    CUSTOMER_MODEL,
    CUSTOMER_NOTE_MODEL,
    INVITATION_MODEL,
    MEMBERSHIP_MODEL,
)
from app.graphql.billing.types import (
    BillingOverrideSkip,
    DiscountTermsByCustomerIdLoader,
    EffectiveLimits,
    EffectiveLimitsByCustomerIdLoader,
    Plan,
    Subscription,
    resolved,
)
from app.graphql.context import Info
from app.graphql.model_types import ModelObject, model_type, related_page
from app.graphql.node import Node
from app.graphql.pagination import Connection
from app.graphql.preload import related
from app.kit.money import Money
from app.kit.pagination import check_search
from app.models import CustomerStatus, InvitationStatus, MemberRole
from app.models.invoices import InvoiceStatus
from app.models.keys import KeyStatus

_BILLING = "app.graphql.billing.invoice_types"

if TYPE_CHECKING:
    from app.graphql.billing.coupons.types import Discount
    from app.graphql.billing.invoice_types import (
        BillingAddress,
        CreditNote,
        CreditTransaction,
        Invoice,
    )
    from app.graphql.keys.types import ApiKey
    from app.graphql.projects.types import Project
    from app.graphql.usage.types import UsageDay
    from app.graphql.users.types import User
    from app.graphql.webhooks.types import WebhookEndpoint

CustomerStatusEnum = strawberry.enum(CustomerStatus, name="CustomerStatus")
MemberRoleEnum = strawberry.enum(MemberRole, name="MemberRole")
InvitationStatusEnum = strawberry.enum(
    InvitationStatus,
    name="InvitationStatus",
    description="Derived: a PENDING invitation past its expiry reads EXPIRED.",
)


@model_type(
    CUSTOMER_MODEL,
    description="A tenant account: the customer that pays and whose members use it.",
)
class Customer(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    slug: str
    name: str
    status: CustomerStatus
    billing_email: str
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None
    deactivation_reason: str | None = strawberry.field(description="Why it was deactivated.")
    credit_balance: Money = strawberry.field(
        description="The credit ledger's sum, leaving out expired credit."
    )
    lifetime_value: Money = strawberry.field(description="Paid invoices less their credit notes.")
    tax_id: str | None = strawberry.field(description="From the billing address.")

    @strawberry.field(description="The plan of the customer's live subscription, if any.")
    def plan(self, info: Info) -> Plan | None:
        return related(self, info, "plan")  # type: ignore[no-any-return]

    @strawberry.field(description="The live subscription (trialing, active or past due), if any.")
    def subscription(self, info: Info) -> Subscription | None:
        return related(self, info, "subscription")  # type: ignore[no-any-return]

    @strawberry.field(
        description="Normalised monthly recurring revenue of the live subscription after the "
        "customer's active discounts (applied in turn, as on invoices); null without one."
    )
    async def mrr(self, info: Info) -> Money | None:
        subscription: Subscription | None = await resolved(related(self, info, "subscription"))
        if subscription is None:
            return None
        gross: Money = subscription.mrr()
        if gross.amount <= 0:
            return gross
        terms = await info.context.loader(DiscountTermsByCustomerIdLoader).load(self.pk)
        if not terms:
            return gross
        plan = await resolved(related(self, info, "plan"))
        code = None if plan is None else plan.code
        return Money(after_discounts(terms, gross.amount, gross.currency, code), gross.currency)

    @strawberry.field(description="The plan's limits merged with the override, with sources.")
    async def effective_limits(self, info: Info) -> EffectiveLimits:
        found = await info.context.loader(EffectiveLimitsByCustomerIdLoader).load(self.pk)
        return EffectiveLimits.of(found)

    @strawberry.field(description="Payment-provider events skipped under the admin override.")
    async def billing_override_skips(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BillingOverrideSkip] | None:
        return await related_page(self, info, "billingOverrideSkips", first=first, after=after)

    @strawberry.field(description="Active discounts (applied coupons), oldest first.")
    def discounts(
        self, info: Info
    ) -> list[Annotated[Discount, strawberry.lazy("app.graphql.billing.coupons.types")]]:
        return related(self, info, "discounts")  # type: ignore[no-any-return]

    @strawberry.field(description="Members of this customer, newest first.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Membership]:
        return await related_page(self, info, "members", first=first, after=after)

    @strawberry.field(description="Invitations to this customer, newest first.")
    async def invitations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: InvitationStatus | None = None,
    ) -> Connection[Invitation]:
        return await related_page(
            self, info, "invitations", first=first, after=after, status=status
        )

    @strawberry.field(description="Projects of this customer, newest first.")
    async def projects(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the name or slug (≤ 100 characters)."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[Project, strawberry.lazy("app.graphql.projects.types")]]:
        return await related_page(
            self, info, "projects", first=first, after=after, search=check_search(search)
        )

    @strawberry.field(description="Invoices of this customer, newest first.")
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: InvoiceStatus | None = None,
    ) -> Connection[Annotated[Invoice, strawberry.lazy(_BILLING)]]:
        return await related_page(self, info, "invoices", first=first, after=after, status=status)

    @strawberry.field(description="The credit ledger, newest first.")
    async def credit_transactions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[CreditTransaction, strawberry.lazy(_BILLING)]]:
        return await related_page(self, info, "creditTransactions", first=first, after=after)

    @strawberry.field(description="Credit notes on this customer's invoices, newest first.")
    async def credit_notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[CreditNote, strawberry.lazy(_BILLING)]]:
        return await related_page(self, info, "creditNotes", first=first, after=after)

    @strawberry.field(description="Billing address and tax id, if set.")
    def billing_address(
        self, info: Info
    ) -> Annotated[BillingAddress, strawberry.lazy(_BILLING)] | None:
        return related(self, info, "billingAddress")  # type: ignore[no-any-return]

    @strawberry.field(description="How many of its invoices are OPEN (awaiting payment).")
    def open_invoices_count(self, info: Info) -> int:
        return related(self, info, "openInvoicesCount")  # type: ignore[no-any-return]

    @strawberry.field(description="API keys of this customer (and its projects), newest first.")
    async def api_keys(
        self,
        info: Info,
        status: KeyStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated[ApiKey, strawberry.lazy("app.graphql.keys.types")]]:
        return await related_page(self, info, "apiKeys", first=first, after=after, status=status)

    @strawberry.field(description="Webhook endpoints of this customer, newest first.")
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[WebhookEndpoint, strawberry.lazy("app.graphql.webhooks.types")]]:
        return await related_page(self, info, "webhookEndpoints", first=first, after=after)

    @strawberry.field(
        description="Daily usage per metric over [from, to] (inclusive UTC dates, at most 366 "
        "days; default the current month), from the daily rollups."
    )
    async def daily(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        metric: str | None = None,
    ) -> list[Annotated[UsageDay, strawberry.lazy("app.graphql.usage.types")]]:
        from app.graphql.usage.types import UsageDay, UsageDaysByCustomerIdLoader
        from app.usage import figures

        start, end = figures.checked_range(from_, to)
        loader = info.context.loader(UsageDaysByCustomerIdLoader, start, end, metric)
        days = await loader.load(self.pk)
        return [UsageDay.of(day) for day in days]

    @strawberry.field(description="Staff notes, newest first.")
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerNote] | None:
        return await related_page(self, info, "notes", first=first, after=after)


@model_type(MEMBERSHIP_MODEL, description="A user's role in a customer.")
class Membership(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    role: MemberRole
    created_at: datetime

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]

    @strawberry.field
    def user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("app.graphql.users.types")] | None:
        return related(self, info, "user")  # type: ignore[no-any-return]


@model_type(INVITATION_MODEL, description="An emailed offer to join a customer with a role.")
class Invitation(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    email: str
    role: MemberRole
    status: InvitationStatus
    invited_by: str | None = strawberry.field(
        description="Public id of the key or user who sent it."
    )
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @strawberry.field
    def customer(self, info: Info) -> Customer | None:
        return related(self, info, "customer")  # type: ignore[no-any-return]


@model_type(CUSTOMER_NOTE_MODEL, description="A note staff wrote about a customer.")
class CustomerNote(ModelObject, Node):
    pk: strawberry.Private[uuid.UUID]
    body: str
    author_id: str | None = strawberry.field(
        description="Public id of the key or user who wrote it."
    )
    created_at: datetime
