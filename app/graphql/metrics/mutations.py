"""Cost entries: one (`costEntryCreate`) or a CSV file of them, all or nothing
(`costEntriesImport`); either drops the cached costs."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
import strawberry

from app.graphql.context import Info
from app.graphql.metrics.types import CostEntry
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer
from app.kit.ids import encode
from app.kit.money import Money
from app.kit.uow import UnitOfWork
from app.metrics import service
from app.models.billing import Plan
from app.models.metrics import CostEntry as CostEntryRow

PLANS = Plan.__table__  # type: ignore[attr-defined]


async def _types(uow: UnitOfWork, rows: list[CostEntryRow]) -> list[CostEntry]:
    plan_ids = {row.plan_id for row in rows if row.plan_id is not None}
    codes: dict[object, str] = {}
    if plan_ids:
        found = await uow.session.execute(
            sa.select(PLANS.c.id, PLANS.c.code).where(PLANS.c.id.in_(plan_ids))
        )
        codes = {pk: code for pk, code in found.all()}
    return [
        CostEntry(
            id=strawberry.ID(encode(CostEntryRow.PREFIX, row.id)),
            incurred_on=row.incurred_on,
            category=row.category,
            amount=Money(row.amount, row.currency),
            description=row.description,
            plan_code=codes.get(row.plan_id),
            created_at=row.created_at,
        )
        for row in rows
    ]


@strawberry.input
class CostEntryCreateInput:
    incurred_on: date
    category: str = strawberry.field(description="hosting, email, payments…; ≤ 64 characters.")
    amount: int = strawberry.field(description="Minor units, 0 to 10^15.")
    currency: str = "USD"
    description: str = ""
    plan_code: str | None = strawberry.field(
        default=None, description="A plan the cost belongs to (gross margin by plan)."
    )


@strawberry.type
class CostEntryCreatePayload(Payload):
    cost_entry: CostEntry | None = None


@mutation(master_writer, "Record a cost; the cached costs are dropped.")
async def cost_entry_create(
    info: Info, input: CostEntryCreateInput, uow: UnitOfWork
) -> CostEntryCreatePayload:
    entry = await service.create_entry(
        uow,
        service.CostInput(
            input.incurred_on,
            input.category,
            input.amount,
            input.currency,
            input.description,
            input.plan_code,
        ),
        info.context.settings.redis_url,
    )
    return CostEntryCreatePayload(cost_entry=(await _types(uow, [entry]))[0])


@strawberry.input
class CostEntriesImportInput:
    csv: str = strawberry.field(
        description="A header row naming date, category, amount, currency (and optionally "
        "description, plan), then one cost per row; at most 10,000 rows."
    )


@strawberry.type
class CostEntriesImportPayload(Payload):
    cost_entries: list[CostEntry] = strawberry.field(default_factory=list)
    imported: int = 0


@mutation(
    master_writer,
    "Import costs from CSV: every row or none; each bad row is a userError naming its row "
    "(`rows.<n>.<column>`, 1 is the first data row).",
)
async def cost_entries_import(
    info: Info, input: CostEntriesImportInput, uow: UnitOfWork
) -> CostEntriesImportPayload:
    entries = await service.import_csv(uow, input.csv, info.context.settings.redis_url)
    return CostEntriesImportPayload(cost_entries=await _types(uow, entries), imported=len(entries))
