"""Runtime settings: `settings` and `settingUpdate` (master only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import strawberry

from app.graphql.context import Info
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_only, master_writer
from app.graphql.root import query
from app.graphql.scalars import JSON
from app.kit.uow import UnitOfWork
from app.ops import settings as service
from app.runtime_settings.catalog import SettingType

SettingTypeEnum = strawberry.enum(
    SettingType,
    name="RuntimeSettingType",
    description="MONEY: {amount, currency}; OBJECT: an object of named numbers.",
)


@strawberry.type(
    description="A key of the runtime settings allowlist: changed by `settingUpdate`, read by "
    "every process within seconds."
)
class RuntimeSetting:
    key: str
    type: SettingType
    description: str
    updated_at: datetime | None = strawberry.field(description="Null: never set (the default).")
    updated_by: str | None = strawberry.field(description="Who set it last (actor type:id).")
    # As JSON text: a payload's fields are stored for idempotent replays, and an object
    # value would not survive that walk.
    encoded_value: strawberry.Private[str]
    encoded_default: strawberry.Private[str]

    @strawberry.field(description="The value in force: the stored one, else the default.")
    def value(self) -> JSON | None:
        return JSON(orjson.loads(self.encoded_value))

    @strawberry.field(
        description="The value without a stored one: the environment's (ADMIRAL_…) where one "
        "exists, else the built-in default."
    )
    def default(self) -> JSON | None:
        return JSON(orjson.loads(self.encoded_default))

    @classmethod
    def of(cls, found: service.SettingView) -> RuntimeSetting:
        return cls(
            key=found.spec.key,
            type=found.spec.type,
            description=found.spec.description,
            updated_at=found.updated_at,
            updated_by=found.updated_by,
            encoded_value=_encoded(found.value),
            encoded_default=_encoded(found.default),
        )


def _encoded(value: Any) -> str:
    return orjson.dumps(value).decode()


@query(master_only, "Every runtime setting with its value, default and last change.")
async def settings(info: Info) -> list[RuntimeSetting] | None:
    found = await service.list_settings(info.context.db, info.context.settings)
    return [RuntimeSetting.of(item) for item in found]


@strawberry.input
class SettingUpdateInput:
    key: str = strawberry.field(description="A key of `settings`.")
    value: JSON | None = strawberry.field(
        description="Of the key's type; null resets it to its default. An OBJECT's given keys "
        "are merged over its current value."
    )


@strawberry.type
class SettingUpdatePayload(Payload):
    setting: RuntimeSetting | None = None


@mutation(master_writer, "Change a runtime setting; audited, in force within seconds everywhere.")
async def setting_update(
    info: Info, input: SettingUpdateInput, uow: UnitOfWork
) -> SettingUpdatePayload:
    changed = await service.update_setting(
        uow, info.context.settings, key=input.key, value=input.value
    )
    return SettingUpdatePayload(setting=RuntimeSetting.of(changed))
