"""The webhook dispatcher's loop (collected by `app/main.py::declared_loops`)."""

from __future__ import annotations

from app.db import Database
from app.kit.loops import Loop
from app.settings import Settings
from app.webhooks.dispatcher import Dispatcher


def loops(db: Database, settings: Settings) -> list[Loop]:
    dispatcher = Dispatcher(db, settings)

    async def step() -> None:
        await dispatcher.pump()

    return [Loop("webhook-dispatcher", settings.dispatcher_interval_seconds, step)]
