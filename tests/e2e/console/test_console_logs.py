"""Stored logs in a real browser: a test entry written after its dry run, then found by its
message among the others; the prune's dry run counts what it would delete."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.helpers import GraphQL, Mutation, World

from .conftest import Tab

LOG_TEST = Mutation("logTest", "entry { id message }")


async def test_the_logs_filter_a_test_entry_by_its_message(
    tab: Tab, world: World, gql: GraphQL
) -> None:
    await LOG_TEST.ok(gql, {"level": "INFO", "message": "an unrelated line"}, token=world.master)
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="Logs").click()
    await expect(page.get_by_role("heading", name="Logs")).to_be_visible()

    await page.get_by_role("button", name="Write a test entry…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Level").select_option("WARNING")
    await dialog.get_by_label("Message").fill("console probe 7f3a: queue drained")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text(
        "A WARNING entry is stored"
    )
    await dialog.get_by_role("button", name="Write it").click()
    await expect(dialog).to_have_count(0)

    before = len(tab.graphql)
    await page.get_by_label("Message contains").fill("probe 7F3A")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"search=probe\+7F3A"))
    rows = page.get_by_role("table", name="Log entries").locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.get_by_test_id("log-message")).to_have_text(
        "console probe 7f3a: queue drained"
    )
    await expect(rows).to_contain_text("WARNING")
    assert tab.operations()[before:] == ["Logs"]
    assert tab.graphql[-1]["variables"]["filter"]["search"] == "probe 7F3A"
    await tab.shot("logs-filtered")

    # A level above the entry's leaves nothing; the level alone keeps it.
    await page.get_by_label("Level").select_option("ERROR")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("table", name="Log entries")).to_contain_text("No entry.")
    await page.get_by_label("Level").select_option("WARNING")
    await page.get_by_label("Message contains").fill("")
    await page.get_by_role("button", name="Filter").click()
    messages = page.get_by_role("table", name="Log entries").get_by_test_id("log-message")
    await expect(messages.filter(has_text="console probe 7f3a")).to_have_count(1)
    await expect(messages.filter(has_text="an unrelated line")).to_have_count(0)

    # The prune's dry run counts what it would delete: nothing is a day old.
    await page.get_by_role("button", name="Prune…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Keep the last … days").fill("1")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("prune-count")).to_have_text("0")
    await dialog.get_by_role("button", name="Cancel").click()
    prunes = [b for b in tab.graphql if b.get("operationName") == "LogsPrune"]
    assert [b["variables"]["dryRun"] for b in prunes] == [True]


async def test_error_groups_are_listed_for_a_master(tab: Tab, world: World) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Screens")
    await nav.get_by_role("link", name="Error groups").click()
    await expect(page.get_by_role("table", name="Error groups")).to_contain_text("No error.")
    assert "ErrorGroups" in tab.operations()
    await tab.shot("error-groups")
