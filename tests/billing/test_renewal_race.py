"""Two loop runners over the same due subscriptions renew each exactly once (PostgreSQL's
`FOR UPDATE SKIP LOCKED`; SQLite's one writer serializes them the same way)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from app.billing.loops import run_due
from app.db import Database
from app.kit import clock
from app.models.tables import INVOICES, SUBSCRIPTIONS
from app.settings import Settings
from tests.helpers import Factory
from tests.support import rows


async def test_two_runners_renew_each_subscription_once(
    factory: Factory, db: Database, settings: Settings
) -> None:
    plan = await factory.plan("pro", name="Pro", price_amount=9900)
    for n in range(12):
        await factory.customer(f"race-{n}", plan=plan)  # with its subscription
    with clock.travel(timedelta(days=32)):
        results = await asyncio.gather(run_due(db, settings), run_due(db, settings))
    assert sum(renewed for renewed, _ in results) == 12
    invoices = await rows(
        db,
        sa.select(INVOICES.c.subscription_id, sa.func.count()).group_by(INVOICES.c.subscription_id),
    )
    assert len(invoices) == 12
    assert {count for _, count in invoices} == {1}
    ends = await rows(db, sa.select(SUBSCRIPTIONS.c.current_period_start))
    assert len({row[0] for row in ends}) >= 1
