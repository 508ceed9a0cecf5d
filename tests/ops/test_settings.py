"""Runtime settings: the allowlist, typed values, defaults from the environment, audit, dry
runs, idempotency, permissions from both sides, and the cache."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db import Database
from app.models.runtime_settings import RuntimeSetting
from app.runtime_settings import catalog, store
from app.settings import Settings
from tests.customers import support as customers
from tests.helpers import GraphQL, StatementCounter, World
from tests.ops.support import SETTING_UPDATE, SETTINGS, put, stored_rows

PUBLIC = "https://93.184.215.14/alerts"


async def listed(gql: GraphQL, token: str) -> dict[str, dict[str, Any]]:
    data = await gql.ok(SETTINGS, token=token)
    return {item["key"]: item for item in data["settings"]}


async def test_lists_every_key_with_its_default(gql: GraphQL, world: World) -> None:
    found = await listed(gql, world.master)
    assert list(found) == list(catalog.SPECS)
    assert found["maintenanceMode"]["value"] is False
    assert found["maintenanceMode"]["type"] == "BOOLEAN"
    # Defaults from the environment's settings where one exists.
    assert found["licenseHeartbeatWindowMinutes"]["default"] == 10.0
    assert found["cashBalance"]["value"] == {"amount": 0, "currency": "USD"}
    assert found["alertThresholds"]["value"] == catalog.DEFAULT_THRESHOLDS
    assert found["alertWebhookUrl"]["value"] is None
    assert all(item["updatedAt"] is None for item in found.values())
    assert all(item["description"] for item in found.values())


async def test_update_sets_audits_and_shows_the_value(
    gql: GraphQL, world: World, db: Database
) -> None:
    setting = await put(gql, world.master, "logRetentionDays", 14)
    assert setting["value"] == 14
    assert setting["default"] == 30
    assert setting["type"] == "INT"
    assert setting["updatedBy"].startswith("MASTER_KEY:")
    assert setting["updatedAt"] is not None
    assert (await listed(gql, world.master))["logRetentionDays"]["value"] == 14
    [event] = await customers.events(db, "setting.updated")
    assert event.target_id == "logRetentionDays"
    assert event.diff == {"value": {"before": 30, "after": 14}}
    [row] = await stored_rows(db)
    assert (row.key, row.value) == ("logRetentionDays", {"v": 14})


async def test_null_resets_to_the_default(gql: GraphQL, world: World, db: Database) -> None:
    await put(gql, world.master, "signupEnabled", False)
    setting = await put(gql, world.master, "signupEnabled", None)
    assert setting["value"] is True
    assert setting["updatedAt"] is None
    assert await stored_rows(db) == []
    assert len(await customers.events(db, "setting.updated")) == 2


async def test_unknown_key_changes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    found = await SETTING_UPDATE.refused(
        gql, {"key": "databaseUrl", "value": "x"}, token=world.master
    )
    assert found == [("UNKNOWN_SETTING", ["input", "key"])]
    assert await stored_rows(db) == []
    assert await customers.events(db, "setting.updated") == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("maintenanceMode", "yes"),
        ("maintenanceMode", 1),
        ("signupEnabled", 0),
        ("logRetentionDays", 0),
        ("logRetentionDays", 2.5),
        ("logRetentionDays", True),
        ("logSampleRate", 1.5),
        ("logSampleRate", -0.1),
        ("logSampleRate", "0.5"),
        ("licenseHeartbeatWindowMinutes", 0),
        ("defaultTrialDays", -1),
        ("defaultTrialDays", 731),
        ("cashBalance", 100),
        ("cashBalance", {"amount": 1.5, "currency": "USD"}),
        ("cashBalance", {"amount": 100, "currency": "DOLLARS"}),
        ("cashBalance", {"amount": 100}),
        ("alertThresholds", {"failedDeliveries": -1}),
        ("alertThresholds", {"unknown": 3}),
        ("alertThresholds", {"errorRatePercent": 101}),
        ("alertThresholds", [1, 2]),
        ("alertWebhookUrl", 42),
        ("maintenanceMessage", "x" * 501),
    ],
)
async def test_bad_values_change_nothing(
    gql: GraphQL, world: World, db: Database, key: str, value: Any
) -> None:
    found = await SETTING_UPDATE.refused(gql, {"key": key, "value": value}, token=world.master)
    assert found == [("INVALID_VALUE", ["input", "value"])]
    assert await stored_rows(db) == []
    assert await customers.events(db, "setting.updated") == []


async def test_cash_balance_is_in_the_reporting_currency(
    gql: GraphQL, world: World, db: Database
) -> None:
    found = await SETTING_UPDATE.refused(
        gql, {"key": "cashBalance", "value": {"amount": 100, "currency": "EUR"}}, token=world.master
    )
    assert found == [("CURRENCY_MISMATCH", ["input", "value"])]
    setting = await put(gql, world.master, "cashBalance", {"amount": 123_456, "currency": "usd"})
    assert setting["value"] == {"amount": 123_456, "currency": "USD"}


async def test_thresholds_merge_given_keys(gql: GraphQL, world: World) -> None:
    setting = await put(gql, world.master, "alertThresholds", {"runwayDays": 30})
    assert setting["value"] == {**catalog.DEFAULT_THRESHOLDS, "runwayDays": 30}
    setting = await put(gql, world.master, "alertThresholds", {"errorRatePercent": None})
    assert setting["value"]["runwayDays"] == 30
    assert setting["value"]["errorRatePercent"] is None


async def test_alert_url_follows_the_webhook_ssrf_rules(
    gql: GraphQL, world: World, db: Database
) -> None:
    for url in (
        "http://93.184.215.14/alerts",
        "https://127.0.0.1/alerts",
        "https://10.0.0.1/alerts",
        "https://169.254.169.254/latest",
        "https://localhost/alerts",
        "https://user:pw@93.184.215.14/alerts",
    ):
        found = await SETTING_UPDATE.refused(
            gql, {"key": "alertWebhookUrl", "value": url}, token=world.master
        )
        assert found == [("UNSAFE_URL", ["input", "value"])], url
    assert await stored_rows(db) == []
    setting = await put(gql, world.master, "alertWebhookUrl", PUBLIC)
    assert setting["value"] == PUBLIC
    # The URL is the credential of an incoming webhook: the audit trail does not keep it.
    [event] = await customers.events(db, "setting.updated")
    assert PUBLIC not in str(event.diff)


async def test_dry_run_writes_nothing(gql: GraphQL, world: World, db: Database) -> None:
    payload = await SETTING_UPDATE.ok(
        gql, {"key": "defaultTrialDays", "value": 14}, token=world.master, dry_run=True
    )
    assert payload["setting"]["value"] == 14
    assert await stored_rows(db) == []
    assert await customers.events(db, "setting.updated") == []
    assert (await listed(gql, world.master))["defaultTrialDays"]["value"] == 0


async def test_idempotent_replay_acts_once(gql: GraphQL, world: World, db: Database) -> None:
    given = {"key": "cashBalance", "value": {"amount": 5000, "currency": "USD"}}
    first = await SETTING_UPDATE.ok(gql, given, token=world.master, key="cash-1")
    response = await SETTING_UPDATE.send(gql, given, token=world.master, key="cash-1")
    assert response.headers.get("Idempotent-Replayed") == "true"
    assert response.data["settingUpdate"] == first
    assert len(await customers.events(db, "setting.updated")) == 1
    other = {"key": "cashBalance", "value": {"amount": 6000, "currency": "USD"}}
    found = await SETTING_UPDATE.refused(gql, other, token=world.master, key="cash-1")
    assert found[0][0] == "IDEMPOTENCY_KEY_REUSED"


async def test_only_masters_read_and_change_settings(
    gql: GraphQL, world: World, db: Database
) -> None:
    assert (await listed(gql, world.staff_token))["maintenanceMode"]["value"] is False
    await put(gql, world.staff_token, "logSampleRate", 0.5)
    for token in (world.owner_token, world.admin_token):
        response = await gql(SETTINGS, token=token)
        assert response.codes == ["FORBIDDEN"]
        assert response.data == {"settings": None}
        response = await SETTING_UPDATE.send(
            gql, {"key": "maintenanceMode", "value": True}, token=token
        )
        assert response.codes == ["FORBIDDEN"]
    response = await SETTING_UPDATE.send(
        gql, {"key": "maintenanceMode", "value": True}, token=world.read_only_token
    )
    assert "FORBIDDEN" in response.codes or "READ_ONLY_SESSION" in response.codes
    response = await gql(SETTINGS)
    assert response.status == 401
    assert [row.key for row in await stored_rows(db)] == ["logSampleRate"]


async def test_reads_come_from_the_cache_until_a_write_or_the_ttl(
    gql: GraphQL,
    world: World,
    db: Database,
    settings: Settings,
    statements: StatementCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await put(gql, world.master, "defaultTrialDays", 7)
    assert await store.value(db, catalog.DEFAULT_TRIAL_DAYS) == 7
    with statements.measure() as counted:
        for _ in range(20):
            assert await store.value(db, catalog.DEFAULT_TRIAL_DAYS) == 7
    assert counted.count == 0
    # Another process's change, written straight to the table: this process keeps its cached
    # value until the TTL passes.
    async with db.write_session() as session:
        await session.execute(
            sa.update(RuntimeSetting.__table__).values(value={"v": 9})  # type: ignore[attr-defined]
        )
        await session.commit()
    assert await store.value(db, catalog.DEFAULT_TRIAL_DAYS) == 7
    monkeypatch.setattr(store, "TTL_SECONDS", 0.0)
    assert await store.value(db, catalog.DEFAULT_TRIAL_DAYS) == 9
    # A change through settingUpdate is seen at once by the process that made it.
    monkeypatch.setattr(store, "TTL_SECONDS", 3600.0)
    await put(gql, world.master, "defaultTrialDays", 3)
    assert await store.value(db, catalog.DEFAULT_TRIAL_DAYS) == 3
