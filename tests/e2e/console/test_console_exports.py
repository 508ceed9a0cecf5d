"""The audit log's CSV export: a signed link fetched by the console, downloaded by the browser
without the Authorization header."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

from playwright.async_api import expect

from tests.helpers import DEFAULT_PASSWORD, GraphQL, Mutation, World, gid

from .conftest import Tab

SUSPEND = Mutation("userSuspend", "user { id }")


async def test_the_audit_log_downloads_as_csv(tab: Tab, world: World, gql: GraphQL) -> None:
    await SUSPEND.ok(
        gql,
        {"userId": gid("usr", world.member), "reason": "Exported in the audit CSV"},
        token=world.master,
    )
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await (
        page.get_by_role("navigation", name="Screens").get_by_role("link", name="Audit log").click()
    )
    await expect(page.get_by_role("table", name="Audit events")).to_contain_text("user.suspend")
    export = page.get_by_role("form", name="Export")
    async with page.expect_download() as started:
        await export.get_by_role("button", name="Download CSV").click()
    download = await started.value
    assert download.suggested_filename.startswith("admiral-audit-")
    assert download.suggested_filename.endswith(".csv")
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == [
        "seq",
        "created_at",
        "actor_type",
        "actor_id",
        "impersonator_id",
        "action",
    ]
    assert "user.suspend" in [row[5] for row in rows[1:]]
    # A plain navigation of the browser (no Authorization header), on the console's origin:
    # the signed link stands in for the credential.
    assert download.url.startswith(f"{tab.base}/exports/audit.csv?")
    assert "signature=" in download.url
    assert "AuditExportUrl" in tab.operations()
    await tab.shot("audit-export")


async def test_an_export_range_the_api_refuses_is_said(tab: Tab, world: World) -> None:
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open("/audit")
    export = tab.page.get_by_role("form", name="Export")
    await export.get_by_label("Export from").fill("2026-03-10")
    await export.get_by_label("Export to").fill("2026-03-01")
    await export.get_by_role("button", name="Download CSV").click()
    await expect(tab.page.get_by_role("alert")).to_contain_text("must not be after")


async def test_a_session_admin_is_not_offered_the_export(tab: Tab, world: World) -> None:
    await tab.open("/sign-in")
    await tab.sign_in_with_password(world.owner.email, DEFAULT_PASSWORD)
    await expect(tab.page.get_by_text("SESSION", exact=True)).to_be_visible()
    await tab.open("/audit")
    await expect(tab.page.get_by_role("table", name="Audit events")).to_be_visible()
    await expect(tab.page.get_by_role("button", name="Download CSV")).to_have_count(0)
