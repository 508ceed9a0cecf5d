"""Helpers of the operations tests: runtime settings set and read the way callers do."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import Database
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.runtime_settings import OpsAlert, RuntimeSetting
from app.ops import settings as service
from app.settings import Settings
from tests.helpers import GraphQL, Mutation
from tests.support import rows

SETTING = "setting { key value default type updatedAt updatedBy }"
SETTING_UPDATE = Mutation("settingUpdate", SETTING)
SETTINGS = "{ settings { key value default type description updatedAt updatedBy } }"


async def put(gql: GraphQL, token: str, key: str, value: Any) -> dict[str, Any]:
    payload = await SETTING_UPDATE.ok(gql, {"key": key, "value": value}, token=token)
    setting: dict[str, Any] = payload["setting"]
    return setting


async def put_direct(db: Database, settings: Settings, key: str, value: Any) -> None:
    """Set a key through the service with `settings` (a receiver's URL on 127.0.0.1 passes
    only with local addresses allowed)."""

    async def work(uow: UnitOfWork) -> None:
        await service.update_setting(uow, settings, key=key, value=value)

    await db.run(work, actor=Actor.system("test"), row_scope=EVERYTHING)


async def stored_rows(db: Database) -> list[sa.Row[Any]]:
    return await rows(db, sa.select(RuntimeSetting.__table__))  # type: ignore[attr-defined]


async def alert_rows(db: Database) -> list[sa.Row[Any]]:
    table = OpsAlert.__table__  # type: ignore[attr-defined]
    return await rows(db, sa.select(table).order_by(table.c.fired_at))
