"""Runtime settings in a real browser: maintenance mode turned on after reading its dry run, a
session admin's change then refused with MAINTENANCE_MODE, and a number refused next to its
field."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.helpers import DEFAULT_PASSWORD, GraphQL, Mutation, World, gid

from .conftest import Tab

SETTINGS = "{ settings { key value } }"
CUSTOMER_UPDATE = Mutation("customerUpdate", "customer { name }")


async def setting(gql: GraphQL, token: str, key: str) -> object:
    found = (await gql.ok(SETTINGS, token=token))["settings"]
    return next(item["value"] for item in found if item["key"] == key)


async def test_maintenance_mode_is_turned_on_after_its_dry_run_and_refuses_a_session_admin(
    tab: Tab, world: World, gql: GraphQL
) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await (
        page.get_by_role("navigation", name="Screens").get_by_role("link", name="Settings").click()
    )
    row = page.get_by_test_id("setting-maintenanceMode")
    await expect(row.get_by_test_id("setting-value")).to_have_text("off")
    await tab.shot("settings")

    await row.get_by_role("button", name="Turn on…").click()
    dialog = page.get_by_role("dialog")
    preview = dialog.get_by_test_id("dry-run-preview")
    await expect(preview.get_by_test_id("preview-value")).to_have_text("on")
    await expect(preview).to_contain_text("(now off)")
    await tab.shot("settings-maintenance-preview")
    # Read, not yet done.
    assert await setting(gql, world.master, "maintenanceMode") is False
    await dialog.get_by_role("button", name="Turn on").click()
    await expect(row.get_by_test_id("setting-value")).to_have_text("on")
    await expect(row).to_contain_text("MASTER_KEY:mky_")
    assert await setting(gql, world.master, "maintenanceMode") is True
    updates = [b for b in tab.graphql if b.get("operationName") == "SettingUpdate"]
    assert [b["variables"]["dryRun"] for b in updates] == [True, False]

    # A session admin's change is refused, and the dialog says why with the code.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Admiral console")).to_be_visible()
    await tab.sign_in_with_password(world.owner.email, DEFAULT_PASSWORD)
    await expect(page.get_by_text("SESSION", exact=True)).to_be_visible()
    await tab.open(f"/customers/{gid('cus', world.own)}")
    await page.get_by_label("Actions").get_by_role("button", name="Edit…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Name").fill("Renamed in maintenance")
    await dialog.get_by_role("button", name="Preview").click()
    refusal = dialog.get_by_role("alert")
    await expect(refusal).to_contain_text("maintenance mode")
    await expect(refusal).to_contain_text("MAINTENANCE_MODE")
    await expect(refusal).to_have_attribute("data-codes", "MAINTENANCE_MODE")
    await expect(dialog.get_by_test_id("dry-run-preview")).to_have_count(0)
    await tab.shot("maintenance-refusal")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(page.get_by_role("heading", name=re.compile(world.own.name))).to_be_visible()

    # Back as the master, turned off: the session admin may change things again.
    await page.get_by_role("button", name="Sign out").click()
    await tab.sign_in_with_key(world.master)
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open("/settings")
    await row.get_by_role("button", name="Turn off…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_test_id("preview-value")).to_have_text("off")
    await dialog.get_by_role("button", name="Turn off").click()
    await expect(row.get_by_test_id("setting-value")).to_have_text("off")
    assert await setting(gql, world.master, "maintenanceMode") is False
    await CUSTOMER_UPDATE.ok(
        gql, {"customerId": gid("cus", world.own), "name": "Own Co"}, token=world.owner_token
    )


async def test_a_number_setting_refused_shows_the_error_next_to_its_field(
    tab: Tab, world: World, gql: GraphQL
) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open("/settings")
    row = page.get_by_test_id("setting-logRetentionDays")
    await row.get_by_role("button", name="Edit…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Value (a whole number)").fill("0")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.locator("#field-value ~ .field-error")).to_contain_text("from 1 to 3650")
    await dialog.get_by_label("Value (a whole number)").fill("45")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("preview-value")).to_have_text("45")
    assert await setting(gql, world.master, "logRetentionDays") == 30
    await dialog.get_by_role("button", name="Save").click()
    await expect(row.get_by_test_id("setting-value")).to_have_text("45")
    assert await setting(gql, world.master, "logRetentionDays") == 45


async def test_the_alerts_list_is_a_master_screen(tab: Tab, world: World) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="Alerts").click()
    await expect(page.get_by_role("table", name="Alerts")).to_contain_text("No alert.")
    assert "Alerts" in tab.operations()
