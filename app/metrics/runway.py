"""The runway as of today, for whoever watches it outside a GraphQL request (the alert loop).

The same figures as `metrics.predictions.runway`: the window's costs and revenue, and the
cash balance (the runtime setting `cashBalance`, else ADMIRAL_CASH_BALANCE).
"""

from __future__ import annotations

from datetime import timedelta

from app.db import Database
from app.kit import clock
from app.metrics import predictions, repository
from app.metrics.periods import DateRange
from app.runtime_settings import values
from app.settings import Settings


async def runway_now(db: Database, settings: Settings) -> predictions.Runway:
    today = clock.now().date()
    window = DateRange(today - timedelta(days=predictions.WINDOW_DAYS - 1), today)
    reader = db.reader()
    try:
        spent = await repository.money(reader, window, settings.reporting_currency)
    finally:
        await reader.close()
    balance = await values.cash_balance(db, settings)
    return predictions.runway(balance, spent.costs, spent.revenue, today)
