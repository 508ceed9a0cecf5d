"""Tax rates (master) and customers' billing addresses and tax ids."""

from __future__ import annotations

import strawberry

from app.billing.tax import service
from app.billing.tax.repository import TAX_RATE_MODEL
from app.graphql.billing.invoice_types import BillingAddress, TaxRate
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.pagination import Connection, paginate
from app.graphql.permissions import authenticated, master_writer
from app.graphql.root import query
from app.kit.uow import UnitOfWork


@strawberry.input
class TaxRateFilter:
    archived: bool | None = strawberry.field(
        default=False, description="Archived rates only when true; both when null."
    )
    country: str | None = None


@query(authenticated, "Tax rates, newest first (active ones unless the filter asks).")
async def tax_rates(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: TaxRateFilter | None = None,
) -> Connection[TaxRate]:
    given = filter or TaxRateFilter()
    country = given.country.strip().upper() if given.country else None
    return await paginate(
        info,
        TAX_RATE_MODEL,
        TaxRate.from_row,
        first=first,
        after=after,
        filters={"archived": given.archived, "country": country},
    )


@strawberry.input
class TaxRateCreateInput:
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 (`DE`).")
    percentage: str = strawberry.field(description="A decimal from 0 to 100, e.g. `19` or `7.25`.")
    display_name: str
    inclusive: bool = False
    region: str | None = strawberry.field(
        default=None, description="ISO 3166-2 subdivision (`CA`) for a regional rate."
    )


@strawberry.type
class TaxRatePayload(Payload):
    tax_rate: TaxRate | None = None


@mutation(master_writer, "Create a tax rate for a country or one of its regions.")
async def tax_rate_create(info: Info, input: TaxRateCreateInput, uow: UnitOfWork) -> TaxRatePayload:
    rate = await service.create_tax_rate(
        uow,
        country=input.country,
        region=input.region,
        percentage=input.percentage,
        inclusive=input.inclusive,
        display_name=input.display_name,
    )
    return TaxRatePayload(tax_rate=await read_back(uow.session, TaxRate, rate.id))


@strawberry.input
class TaxRateArchiveInput:
    tax_rate_id: strawberry.ID


@mutation(master_writer, "Archive a tax rate: invoices finalized later no longer use it.")
async def tax_rate_archive(
    info: Info, input: TaxRateArchiveInput, uow: UnitOfWork
) -> TaxRatePayload:
    rate_id = input_id(input.tax_rate_id, TaxRate.PREFIX, "taxRateId", "Tax rate")
    rate = await service.archive_tax_rate(uow, rate_id)
    return TaxRatePayload(tax_rate=await read_back(uow.session, TaxRate, rate.id))


@strawberry.input
class CustomerBillingProfileUpdateInput:
    customer_id: strawberry.ID
    name: str | None = strawberry.UNSET
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 alpha-2; decides the tax rate."
    )
    region: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="A tax id makes invoices reverse charge."
    )
    tax_exempt: bool | None = strawberry.UNSET


@strawberry.type
class CustomerBillingProfileUpdatePayload(Payload):
    billing_address: BillingAddress | None = None
    customer: Customer | None = None


_PROFILE_FIELDS = (
    "name",
    "line1",
    "line2",
    "city",
    "postal_code",
    "country",
    "region",
    "tax_id",
    "tax_exempt",
)


@mutation(
    master_writer,
    "Set a customer's billing address and tax id (fields left out stay; null clears one).",
)
async def customer_billing_profile_update(
    info: Info, input: CustomerBillingProfileUpdateInput, uow: UnitOfWork
) -> CustomerBillingProfileUpdatePayload:
    changes = {
        name: getattr(input, name)
        for name in _PROFILE_FIELDS
        if getattr(input, name) is not strawberry.UNSET
    }
    profile = await service.update_billing_profile(
        uow, customer_id=customer_id_of(input.customer_id), changes=changes
    )
    return CustomerBillingProfileUpdatePayload(
        billing_address=await read_back(uow.session, BillingAddress, profile.id),
        customer=await read_back(uow.session, Customer, profile.customer_id),
    )
