"""The console's business screens in a real browser: the dashboard's figures, a plan change read
from its dry-run proration lines then applied once, an API key's secret shown once, the list
screens (plans, coupons, licenses, API keys, webhooks), and a session admin's narrower world
on them."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.async_api import expect

from app.kit import clock
from app.models import Customer, Plan, Subscription, SubscriptionStatus
from app.models.keys import ApiKey
from app.settings import Settings
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, World, gid
from tests.webhooks import support as webhooks

from .conftest import Tab

API_KEY_CREATE = Mutation("apiKeyCreate", "apiKey { id name } secret")
COUPON_CREATE = Mutation("couponCreate", "coupon { code }")
ENDPOINT_CREATE = Mutation("webhookEndpointCreate", "endpoint { id }")


async def live_plan_code(factory: Factory, customer: Customer) -> str:
    """The code of the plan of the customer's live subscription(s), as the database has it."""
    live = [SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE]
    async with factory.db.write_session() as session:
        found = await session.execute(
            sa.select(Plan.code)
            .join(Subscription, Subscription.plan_id == Plan.id)  # type: ignore[arg-type]
            .where(
                Subscription.customer_id == customer.id,  # type: ignore[arg-type]
                Subscription.status.in_(live),  # type: ignore[attr-defined]
            )
        )
        return ",".join(found.scalars().all())


async def test_the_dashboard_renders_the_figures(tab: Tab, world: World) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    # Two customers pay the world's plan (99.00 USD a month each).
    await expect(page.get_by_test_id("figure-mrr")).to_have_text("198.00 USD")
    await expect(page.get_by_test_id("figure-customers")).to_have_text("2")
    await expect(page.get_by_test_id("figure-users")).to_have_text("5")
    by_plan = page.get_by_role("table", name="MRR by plan")
    await expect(by_plan.locator("tbody tr")).to_have_count(1)
    await expect(by_plan).to_contain_text("198.00 USD")
    scenarios = page.get_by_role("table", name="Scenarios").locator("tbody tr")
    await expect(scenarios).to_have_count(3)
    costs = page.get_by_role("table", name="Costs by month").locator("tbody tr")
    await expect(costs).to_have_count(2)
    await expect(costs.first).to_contain_text(re.compile("LIVE|MODELED"))
    for chart in [
        "Revenue by day",
        "MRR by plan",
        "Usage by day",
        "Funnel",
        "Costs",
        "Predictions",
    ]:
        figure = page.get_by_role("figure", name=chart)
        await expect(figure.locator("svg.recharts-surface").first).to_be_visible()
    # The whole screen is one request.
    assert tab.operations().count("Dashboard") == 1
    await tab.shot("dashboard")


async def test_a_plan_change_is_previewed_then_applied_once(
    tab: Tab, world: World, factory: Factory
) -> None:
    await factory.plan("scale", name="Scale", price_amount=29900)
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open(f"/customers/{gid('cus', world.own)}")
    page = tab.page
    await expect(page.get_by_test_id("subscription-plan")).to_contain_text("Pro")
    await expect(page.get_by_test_id("customer-mrr")).to_have_text("99.00 USD")
    await tab.shot("customer-billing")

    await page.get_by_role("button", name="Change plan…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("New plan").select_option("scale")
    await dialog.get_by_role("button", name="Preview").click()
    preview = dialog.get_by_test_id("dry-run-preview")
    await expect(preview.get_by_test_id("preview-plan")).to_have_text("Scale")
    lines = preview.get_by_role("table", name="Proration lines").locator("tbody tr")
    # The unused time on Pro is credited, the rest of the period on Scale charged.
    await expect(lines).to_have_count(2)
    await expect(preview).to_contain_text(re.compile(r"-\d[\d,]*\.\d\d USD"))
    await tab.shot("plan-change-preview")
    assert await live_plan_code(factory, world.own) == "pro"

    await dialog.get_by_role("button", name="Change the plan").dblclick()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await expect(page.get_by_test_id("subscription-plan")).to_contain_text("Scale")
    await expect(page.get_by_test_id("customer-mrr")).to_have_text("299.00 USD")
    assert await live_plan_code(factory, world.own) == "scale"
    calls = [b for b in tab.graphql if b.get("operationName") == "SubscriptionChangePlan"]
    assert calls[0]["variables"]["dryRun"] is True
    real = [b for b in calls if b["variables"]["dryRun"] is False]
    assert real
    # A double click sends the same key; the server acts once.
    assert len({b["variables"]["idempotencyKey"] for b in real}) == 1
    # The live subscription moves to the new plan in place.
    assert await factory.count(Subscription, Subscription.customer_id == world.own.id) == 1


async def test_a_plan_change_refused_shows_the_error_and_changes_nothing(
    tab: Tab, world: World, factory: Factory
) -> None:
    await factory.plan("tiny", name="Tiny", price_amount=500, currency="EUR")
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open(f"/customers/{gid('cus', world.own)}")
    page = tab.page
    await page.get_by_role("button", name="Change plan…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("New plan").select_option("tiny")
    await dialog.get_by_role("button", name="Preview").click()
    # A currency change is refused by the API: its userError is shown, no preview offered.
    await expect(dialog.get_by_role("alert").first).to_be_visible()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_have_count(0)
    assert await live_plan_code(factory, world.own) == "pro"


async def test_an_api_key_secret_is_shown_once(tab: Tab, world: World, factory: Factory) -> None:
    await tab.open("/sign-in")
    await tab.sign_in_with_password(world.owner.email, DEFAULT_PASSWORD)
    page = tab.page
    await expect(page.get_by_text("SESSION", exact=True)).to_be_visible()
    await (
        page.get_by_role("navigation", name="Screens").get_by_role("link", name="API keys").click()
    )
    await expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    await page.get_by_role("button", name="New key…").click()
    dialog = page.get_by_role("dialog")
    # A session admin may make keys for their own customers only: the one offered.
    await expect(dialog.get_by_label("Customer").locator("option")).to_have_text(
        [f"{world.own.name} (own-co)"]
    )
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.locator("#field-name + .field-error")).to_be_visible()
    await dialog.get_by_label("Name").fill("production server")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("production server")
    assert await factory.count(ApiKey, ApiKey.customer_id == world.own.id) == 0

    await dialog.get_by_role("button", name="Create the key").dblclick()
    secret = dialog.get_by_test_id("new-secret")
    await expect(secret).to_have_text(re.compile(r"^ak_live_"))
    value = await secret.inner_text()
    await expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
    await tab.shot("api-key-created")
    assert await factory.count(ApiKey, ApiKey.customer_id == world.own.id) == 1

    await dialog.get_by_role("button", name="Done").click()
    rows = page.get_by_role("table", name="API keys").locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("production server")
    # Once closed, the secret is nowhere: the list shows its start only.
    assert value not in await page.content()
    await expect(rows).to_contain_text(value[:8])
    await tab.shot("api-keys")
    assert tab.sent_text() == []


async def test_a_session_admin_sees_only_their_own_on_every_list(
    tab: Tab, world: World, gql: GraphQL
) -> None:
    await API_KEY_CREATE.ok(
        gql,
        {"customerId": gid("cus", world.other), "name": "other secret key", "environment": "LIVE"},
        token=world.master,
    )
    await API_KEY_CREATE.ok(
        gql,
        {"customerId": gid("cus", world.own), "name": "own key", "environment": "TEST"},
        token=world.master,
    )
    await tab.open("/sign-in")
    await tab.sign_in_with_password(world.owner.email, DEFAULT_PASSWORD)
    page = tab.page
    nav = page.get_by_role("navigation", name="Screens")
    await expect(nav.get_by_role("link", name="Dashboard")).to_have_count(0)
    await expect(nav.get_by_role("link", name="Coupons")).to_have_count(0)
    await nav.get_by_role("link", name="API keys").click()
    rows = page.get_by_role("table", name="API keys").locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("own key")
    await expect(page.get_by_text("other secret key")).to_have_count(0)

    await tab.open(f"/customers/{gid('cus', world.own)}")
    await expect(page.get_by_role("heading", name=re.compile(world.own.name))).to_be_visible()
    # Billing actions are master-only: none is offered, the figures are shown.
    await expect(page.get_by_label("Billing")).to_have_count(0)
    await expect(page.get_by_role("button", name="Change plan…")).to_have_count(0)
    await expect(page.get_by_role("button", name="Credit note…")).to_have_count(0)
    await expect(page.get_by_test_id("customer-mrr")).to_have_text("99.00 USD")
    await expect(page.get_by_role("button", name="New API key…")).to_be_visible()
    await expect(page.get_by_role("button", name="New license…")).to_have_count(0)

    await tab.open(f"/customers/{gid('cus', world.other)}")
    await expect(page.get_by_role("heading", name="Customer not found")).to_be_visible()
    await tab.open("/dashboard")
    await expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    await tab.open("/coupons")
    await expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    assert "Dashboard" not in tab.operations()
    assert tab.sent_text() == []


async def test_the_catalog_and_integration_lists(
    tab: Tab, world: World, gql: GraphQL, factory: Factory, settings: Settings
) -> None:
    await COUPON_CREATE.ok(
        gql,
        {"code": "SPRING25", "name": "Spring", "duration": "ONCE", "percentOff": 25},
        token=world.master,
    )
    await ENDPOINT_CREATE.ok(
        gql,
        {
            "customerId": gid("cus", world.own),
            "url": "https://93.184.215.14/hooks",
            "eventTypes": ["invoice.paid"],
        },
        token=world.master,
    )
    await tab.sign_in_with_key(world.master)
    page = tab.page
    nav = page.get_by_role("navigation", name="Screens")
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    await nav.get_by_role("link", name="Plans").click()
    plans = page.get_by_role("table", name="Plans").locator("tbody tr")
    await expect(plans).to_have_count(1)
    await expect(plans).to_contain_text("99.00 USD / month")
    await expect(plans).to_contain_text("198.00 USD")
    await tab.shot("plans")

    before = len(tab.graphql)
    await nav.get_by_role("link", name="Coupons").click()
    coupons = page.get_by_role("table", name="Coupons").locator("tbody tr")
    await expect(coupons).to_have_count(1)
    await expect(coupons).to_contain_text("SPRING25")
    await expect(coupons).to_contain_text("25 %")
    assert tab.operations()[before:] == ["Coupons"]
    await page.get_by_role("button", name="New coupon…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Code").fill("TENOFF")
    await dialog.get_by_label("Name").fill("Ten off")
    await dialog.get_by_label("Amount off").fill("10.50")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("10.50 USD off")
    await dialog.get_by_role("button", name="Create the coupon").click()
    await expect(coupons).to_have_count(2)
    await tab.shot("coupons")

    await nav.get_by_role("link", name="Licenses").click()
    licenses = page.get_by_role("table", name="Licenses")
    await expect(licenses).to_contain_text("No license.")
    await page.get_by_role("button", name="New license…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Customer").select_option(label=f"{world.own.name} (own-co)")
    await dialog.get_by_label("Entitlements").fill("sso, audit-export")
    await dialog.get_by_label("Machines").fill("3")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("3 machine(s)")
    await dialog.get_by_role("button", name="Issue").click()
    await expect(dialog.get_by_test_id("new-secret")).not_to_be_empty()
    await dialog.get_by_role("button", name="Done").click()
    row = licenses.locator("tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("sso, audit-export")
    await row.get_by_role("button", name="Suspend…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_test_id("preview-status")).to_have_text("SUSPENDED")
    await expect(row).to_contain_text("ACTIVE")
    await dialog.get_by_role("button", name="Suspend").click()
    await expect(row).to_contain_text("SUSPENDED")
    await expect(row.get_by_role("button", name="Reinstate…")).to_be_visible()
    await tab.shot("licenses")

    await nav.get_by_role("link", name="Webhooks").click()
    await expect(page.get_by_role("heading", name="Webhook deliveries")).to_be_visible()
    await expect(page.get_by_role("table", name="Deliveries")).to_be_visible()
    await tab.shot("webhooks")

    await tab.open(f"/customers/{gid('cus', world.own)}")
    endpoints = page.get_by_role("table", name="Webhook endpoints")
    await expect(endpoints).to_contain_text("https://93.184.215.14/hooks")
    await endpoints.get_by_role("button", name="Test…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("93.184.215.14")
    await dialog.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    # The test event waits in the outbox; the dispatcher's fan-out makes its delivery.
    async with webhooks.dispatcher(factory.db, settings) as dispatcher:
        assert await dispatcher.fan_out() == 1
    await endpoints.get_by_role("button", name="Deliveries").click()
    deliveries = endpoints.get_by_role("table", name="Deliveries").locator("tbody tr")
    await expect(deliveries).to_have_count(1)
    await expect(deliveries).to_contain_text("webhook.test")
    await expect(deliveries).to_contain_text("PENDING")
    await tab.shot("customer-webhooks")

    await nav.get_by_role("link", name="Webhooks").click()
    rows = page.get_by_role("table", name="Deliveries").locator("tbody tr")
    await expect(rows).to_contain_text("93.184.215.14")
    await rows.get_by_role("button", name="Retry…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_test_id("preview-status")).to_have_text("PENDING")
    await dialog.get_by_role("button", name="Retry").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert [
        b["variables"]["dryRun"]
        for b in tab.graphql
        if b.get("operationName") == "WebhookDeliveryRetry"
    ] == [True, False]


async def test_a_trial_is_set_after_its_preview(tab: Tab, world: World, factory: Factory) -> None:
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open(f"/customers/{gid('cus', world.own)}")
    page = tab.page
    await page.get_by_role("button", name="Set trial…").click()
    dialog = page.get_by_role("dialog")
    end = (clock.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    await dialog.get_by_label("Trial ends (UTC)").fill(end)
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("preview-status")).to_have_text("TRIALING")
    async with factory.db.write_session() as session:
        found = await session.execute(
            sa.select(Subscription.status).where(Subscription.customer_id == world.own.id)  # type: ignore[arg-type]
        )
        status = found.scalar_one()
    assert status == SubscriptionStatus.ACTIVE
    await dialog.get_by_role("button", name="Set the trial").click()
    await expect(page.get_by_label("Subscription", exact=True)).to_contain_text("TRIALING")
