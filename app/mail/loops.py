"""The mail dispatcher's loop (collected by `app/main.py::declared_loops`)."""

from __future__ import annotations

from app.db import Database
from app.kit.loops import Loop
from app.mail.dispatcher import MailDispatcher
from app.settings import Settings


def loops(db: Database, settings: Settings) -> list[Loop]:
    dispatcher = MailDispatcher(db, settings)

    async def step() -> None:
        await dispatcher.step()

    return [Loop("mail-dispatcher", settings.dispatcher_interval_seconds, step)]
