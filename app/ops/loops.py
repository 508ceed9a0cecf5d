"""The operations domain's loops (collected by `app/main.py::declared_loops`): alerts."""

from __future__ import annotations

from app.db import Database
from app.kit.loops import Loop
from app.ops.alerts import INTERVAL_SECONDS, Alerts
from app.settings import Settings


def loops(db: Database, settings: Settings) -> list[Loop]:
    alerts = Alerts(db, settings)

    async def step() -> None:
        await alerts.step()

    return [Loop("ops-alerts", INTERVAL_SECONDS, step)]
