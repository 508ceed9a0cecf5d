"""Invoice numbers: sequential per year, without gaps, given at finalize; a finalize that fails
(or is a dry run) gives its number back; concurrent finalizers queue on the year's counter."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.billing.invoices import service
from app.db import Database
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.models.invoices import Invoice
from tests.billing import invoice_support as s
from tests.helpers import World


def year() -> int:
    return clock.now().year


async def finalize(db: Database, invoice: Invoice) -> Invoice:
    async def work(uow: UnitOfWork) -> Invoice:
        return await service.finalize_invoice(uow, invoice.id)

    done: Invoice = await s.run(db, work)
    return done


async def test_numbers_follow_each_other(world: World, db: Database) -> None:
    drafts = [await s.draft(db, world.own if n % 2 else world.other) for n in range(3)]
    numbers = [(await finalize(db, draft)).number for draft in drafts]
    assert numbers == [f"{year()}-00000{n}" for n in (1, 2, 3)]


async def test_a_failed_finalize_gives_its_number_back(world: World, db: Database) -> None:
    first, second = await s.draft(db, world.own), await s.draft(db, world.own)

    async def fails_after_numbering(uow: UnitOfWork) -> None:
        done = await service.finalize_invoice(uow, first.id)
        assert done.number == f"{year()}-000001"
        raise UserInputError("something later failed", ErrorCode.CONFLICT)

    with pytest.raises(UserInputError):
        await s.run(db, fails_after_numbering)
    assert (await s.invoice_row(db, first.id)).number is None
    assert (await finalize(db, second)).number == f"{year()}-000001"
    assert (await finalize(db, first)).number == f"{year()}-000002"


async def test_a_refused_finalize_takes_no_number(world: World, db: Database) -> None:
    done = await finalize(db, await s.draft(db, world.own))
    with pytest.raises(UserInputError) as refused:
        await finalize(db, done)  # OPEN already: INVALID_STATE
    assert refused.value.code is ErrorCode.INVALID_STATE
    assert (await finalize(db, await s.draft(db, world.own))).number == f"{year()}-000002"


async def test_each_year_starts_again(world: World, db: Database) -> None:
    assert (await finalize(db, await s.draft(db, world.own))).number == f"{year()}-000001"
    with clock.travel(timedelta(days=366)):
        later = await finalize(db, await s.draft(db, world.own))
        assert later.number == f"{year()}-000001"


@pytest.mark.postgres_only
async def test_concurrent_finalizers_get_distinct_numbers_without_gaps(
    world: World, db: Database
) -> None:
    drafts = [await s.draft(db, world.own) for _ in range(6)]
    done = await asyncio.gather(*(finalize(db, draft) for draft in drafts))
    numbers = sorted(invoice.number or "" for invoice in done)
    assert numbers == [f"{year()}-00000{n}" for n in range(1, 7)]
