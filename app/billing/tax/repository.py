"""SQL for tax rates and customers' billing profiles."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import ReadModel, registry, row_filter, scoped_by, unscoped
from app.models.invoices import BillingProfile, TaxRate
from app.models.tables import BILLING_PROFILES, TAX_RATES

TAX_RATE_MODEL = registry.register(
    ReadModel(
        name="TaxRate",
        table=TAX_RATES,
        prefix=TaxRate.PREFIX,
        fields={
            "country": "country",
            "region": "region",
            "basisPoints": "basis_points",
            "inclusive": "inclusive",
            "displayName": "display_name",
            "createdAt": "created_at",
            "archivedAt": "archived_at",
        },
        # Rates are no tenant data: whoever reads an invoice may read the rate it used.
        scope=unscoped,
        filters={
            "archived": row_filter(
                lambda archived: (
                    TAX_RATES.c.archived_at.isnot(None)
                    if archived
                    else TAX_RATES.c.archived_at.is_(None)
                )
            ),
            "country": row_filter(lambda country: TAX_RATES.c.country == country),
        },
        orderings={"CREATED_AT": TAX_RATES.c.created_at},
        resolved=frozenset({"percentage", "jurisdiction"}),
    )
)

BILLING_PROFILE_MODEL = registry.register(
    ReadModel(
        name="BillingAddress",
        table=BILLING_PROFILES,
        prefix=BillingProfile.PREFIX,
        fields={
            "name": "name",
            "line1": "line1",
            "line2": "line2",
            "city": "city",
            "postalCode": "postal_code",
            "country": "country",
            "region": "region",
            "taxId": "tax_id",
            "taxExempt": "tax_exempt",
            "updatedAt": "updated_at",
        },
        scope=scoped_by(BILLING_PROFILES.c.customer_id),
        orderings={"CREATED_AT": BILLING_PROFILES.c.created_at},
    )
)


async def tax_rate(session: AsyncSession, rate_id: uuid.UUID) -> TaxRate | None:
    return await session.get(TaxRate, rate_id)


async def active_rates(session: AsyncSession, country: str) -> list[TaxRate]:
    statement = (
        sa.select(TaxRate)
        .where(TAX_RATES.c.country == country, TAX_RATES.c.archived_at.is_(None))
        .order_by(TAX_RATES.c.created_at, TAX_RATES.c.id)
    )
    return list((await session.execute(statement)).scalars())


async def billing_profile(session: AsyncSession, customer_id: uuid.UUID) -> BillingProfile | None:
    statement = sa.select(BillingProfile).where(BILLING_PROFILES.c.customer_id == customer_id)
    return (await session.execute(statement)).scalar_one_or_none()
