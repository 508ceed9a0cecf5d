"""Typed readers of the runtime settings, for the domains (and the log writer) that obey them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from app.db import Database
from app.runtime_settings import catalog
from app.runtime_settings.store import Source, peek, value
from app.settings import Settings


async def maintenance(db: Database) -> str | None:
    """The message refused callers get while maintenance mode is on; None when it is off."""
    if not await value(db, catalog.MAINTENANCE_MODE):
        return None
    return str(await value(db, catalog.MAINTENANCE_MESSAGE))


async def signup_enabled(source: Source) -> bool:
    return bool(await value(source, catalog.SIGNUP_ENABLED))


async def heartbeat_window(db: Database) -> timedelta:
    minutes = await value(db, catalog.LICENSE_HEARTBEAT_WINDOW_MINUTES)
    return timedelta(minutes=float(minutes))


async def default_trial_days(source: Source) -> int:
    return int(await value(source, catalog.DEFAULT_TRIAL_DAYS))


async def cash_balance(source: Source, settings: Settings) -> int:
    """Cash at hand in minor units of the reporting currency (0 if it was set in another
    currency and the reporting currency changed since: it cannot be added up)."""
    money = cast(dict[str, Any], await value(source, catalog.CASH_BALANCE, settings))
    if money["currency"] != settings.reporting_currency:
        return 0
    return int(money["amount"])


async def alert_thresholds(db: Database) -> dict[str, float | None]:
    stored = cast(dict[str, Any], await value(db, catalog.ALERT_THRESHOLDS))
    # Keys added to the catalogue after a value was stored take their defaults.
    return {**catalog.DEFAULT_THRESHOLDS, **stored}


async def alert_webhook_url(db: Database) -> str | None:
    url = await value(db, catalog.ALERT_WEBHOOK_URL)
    return str(url) if url else None


# For the log writer: retention is read by its pruning loop (async), the sample rate on
# every record (synchronous, so the last value this process read; the pruning loop's reads
# keep it fresh, and `refresh_log_settings` may be called from any async step).


async def log_retention_days(db: Database) -> int:
    return int(await value(db, catalog.LOG_RETENTION_DAYS))


async def refresh_log_settings(db: Database) -> None:
    await value(db, catalog.LOG_SAMPLE_RATE)


def log_sample_rate(settings: Settings) -> float:
    return float(peek(catalog.LOG_SAMPLE_RATE, settings))
