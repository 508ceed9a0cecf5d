"""The system screen in a real browser: every queue with its status (one degraded by its failed
jobs), the dashboard's health panel, and a failed job retried after its dry run."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from app.db import Database
from app.kit import clock
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.ops.system import FAILED_THRESHOLD
from app.settings import Settings
from tests.helpers import Factory, World
from tests.ops.queue_rows import delivery
from tests.support import add_rows
from tests.webhooks.support import endpoint

from .conftest import Tab


async def test_the_system_screen_shows_each_queue_and_retries_a_failed_job(
    tab: Tab, world: World, db: Database, settings: Settings, factory: Factory
) -> None:
    hook = await endpoint(db, world.own, "http://127.0.0.1:9/hooks", settings=settings)
    now = clock.now()
    failed = [
        delivery(world.own, hook.endpoint.id, DeliveryStatus.FAILED, now - timedelta(minutes=n))
        for n in range(FAILED_THRESHOLD + 1)
    ]
    await add_rows(db, *failed)
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # The dashboard's panel: the deliveries' queue is degraded, and so the whole.
    panel = page.get_by_role("group", name="System health")
    await expect(panel.get_by_test_id("health-webhook_deliveries")).to_contain_text(
        f"{FAILED_THRESHOLD + 1} failed"
    )
    await expect(panel.get_by_test_id("health-Database")).to_contain_text("Database")
    await expect(panel.locator("h2 .badge")).to_have_text("DEGRADED")
    await tab.shot("dashboard-system-health")

    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="System").click()
    await expect(page.get_by_role("heading", name="System")).to_be_visible()
    await expect(page.get_by_test_id("system-status")).to_have_text("DEGRADED")
    deliveries = page.get_by_test_id("queue-webhook_deliveries")
    await expect(deliveries.locator(".badge")).to_have_text("DEGRADED")
    await expect(deliveries.locator("td").nth(4)).to_have_text(str(FAILED_THRESHOLD + 1))
    for name in ("outbox", "emails", "payments", "usage_aggregation"):
        await expect(page.get_by_test_id(f"queue-{name}").locator(".badge")).to_have_text("OK")
    await expect(page.get_by_role("group", name="Database")).to_contain_text("(the newest)")
    await tab.shot("system")

    await page.get_by_label("Job status").select_option("FAILED")
    jobs = page.get_by_role("table", name="Jobs").locator("tbody tr")
    await expect(jobs).to_have_count(FAILED_THRESHOLD + 1)
    await expect(page.get_by_text(f"Page 1 · {FAILED_THRESHOLD + 1} in all")).to_be_visible()
    await jobs.first.get_by_role("button", name="Retry…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_test_id("preview-status")).to_have_text("PENDING")
    failing = WebhookDelivery.status == DeliveryStatus.FAILED
    assert await factory.count(WebhookDelivery, failing) == FAILED_THRESHOLD + 1
    await dialog.get_by_role("button", name="Retry").click()
    await expect(page.get_by_text(f"Page 1 · {FAILED_THRESHOLD} in all")).to_be_visible()
    assert await factory.count(WebhookDelivery, failing) == FAILED_THRESHOLD
    retries = [b for b in tab.graphql if b.get("operationName") == "JobRetry"]
    assert [b["variables"]["dryRun"] for b in retries] == [True, False]
