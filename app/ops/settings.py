"""Changing a runtime setting: checked against the allowlist, written, audited, cache dropped.

Reading is `app/runtime_settings` (below every domain, which obey the values); the change
lives up here because one check needs a domain: an alert URL must pass the same SSRF rules
as a customer's webhook endpoint (`app/webhooks/sender.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError
from app.kit.uow import UnitOfWork
from app.models.runtime_settings import RuntimeSetting
from app.runtime_settings import store
from app.runtime_settings.catalog import CASH_BALANCE, SPECS, SettingType, Spec
from app.settings import Settings
from app.webhooks.sender import Policy, UnsafeURL, check_url


@dataclass(frozen=True, slots=True)
class SettingView:
    spec: Spec
    value: Any
    default: Any
    updated_at: datetime | None
    updated_by: str | None


def view(spec: Spec, row: store.Stored | None, settings: Settings) -> SettingView:
    default = spec.default_for(settings)
    if row is None:
        return SettingView(spec, default, default, None, None)
    return SettingView(spec, row.value, default, row.updated_at, row.updated_by)


async def list_settings(source: store.Source, settings: Settings) -> list[SettingView]:
    rows = await store.stored(source)
    return [view(spec, rows.get(key), settings) for key, spec in SPECS.items()]


def _spec(key: str) -> Spec:
    spec = SPECS.get(key.strip())
    if spec is None:
        raise UserInputError(
            f"{key[:64]!r} is not a runtime setting; see `settings` for the keys.",
            ErrorCode.UNKNOWN_SETTING,
            "key",
        )
    return spec


async def _checked(spec: Spec, given: Any, current: Any, settings: Settings) -> Any:
    if spec.merges and isinstance(given, dict) and isinstance(current, dict):
        checked = spec.check(given)
        return {**current, **checked}
    value = spec.check(given)
    if spec.key == CASH_BALANCE and value["currency"] != settings.reporting_currency:
        # The runway adds it to figures in the reporting currency; no conversion exists.
        raise UserInputError(
            f"The cash balance is in the reporting currency ({settings.reporting_currency}).",
            ErrorCode.CURRENCY_MISMATCH,
            "value",
        )
    if spec.type is SettingType.URL:
        try:
            await check_url(
                value, Policy(settings.webhooks_allow_http, settings.webhooks_allow_private)
            )
        except UnsafeURL as refusal:
            raise UserInputError(str(refusal), ErrorCode.UNSAFE_URL, "value") from None
    return value


async def update_setting(
    uow: UnitOfWork, settings: Settings, *, key: str, value: Any
) -> SettingView:
    """Set `key` to `value`; null resets it to its default (its row is deleted)."""
    spec = _spec(key)
    rows = await store.stored(uow.session, fresh=True)
    before = view(spec, rows.get(spec.key), settings)
    row = await uow.session.get(RuntimeSetting, spec.key, with_for_update=True)
    if value is None:
        after_value = before.default
        if row is not None:
            await uow.session.delete(row)
        updated_at, updated_by = None, None
    else:
        after_value = await _checked(spec, value, before.value, settings)
        updated_at, updated_by = clock.now(), _actor_label(uow)
        if row is None:
            row = RuntimeSetting(key=spec.key, value={"v": after_value})
        row.value = {"v": after_value}
        row.updated_at = updated_at
        row.updated_by = updated_by
        uow.session.add(row)
    await uow.session.flush()
    name = "secret" if spec.secret else "value"
    uow.record(
        "setting.updated",
        "RuntimeSetting",
        spec.key,
        before={name: before.value},
        after={name: after_value},
    )
    store.forget_after_commit(uow)
    return SettingView(spec, after_value, before.default, updated_at, updated_by)


def _actor_label(uow: UnitOfWork) -> str:
    actor = uow.actor
    label = f"{actor.type.value}:{actor.id}" if actor.id else actor.type.value
    if actor.impersonator_id:
        label += f" (impersonated by {actor.impersonator_id})"
    return label[:200]
