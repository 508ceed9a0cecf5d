"""The operator console in a real browser: sign-in for both scopes, paging, a suspension after
its dry-run preview, the session admin's narrower world, impersonation, and the mail links."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from playwright.async_api import expect

from app.models import Membership, User, UserStatus
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, World, gid

from .conftest import Tab


async def test_master_pages_through_users_one_query_a_page(
    tab: Tab, world: World, factory: Factory
) -> None:
    for n in range(30):
        await factory.user(f"person{n:02d}@example.com", name=f"Person {n:02d}")
    started = time.monotonic()
    await tab.sign_in_with_key(world.master)
    page = tab.page
    # A master lands on the dashboard.
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await page.get_by_role("navigation", name="Screens").get_by_role("link", name="Users").click()
    await expect(page.get_by_role("heading", name="Users")).to_be_visible()
    await expect(page.get_by_test_id("signed-in-as")).to_have_text("Master key")
    counts = page.get_by_role("group", name="Status counts")
    await expect(counts.get_by_role("button", name=re.compile(r"^All"))).to_have_text("All 35")
    rows = page.get_by_role("table", name="Users").locator("tbody tr")
    await expect(rows).to_have_count(25)
    await expect(page.get_by_text("Page 1 · 35 in all")).to_be_visible()
    await tab.shot("users-list")

    before = len(tab.graphql)
    await page.get_by_role("button", name="Next →").click()
    await expect(page.get_by_text("Page 2 · 35 in all")).to_be_visible()
    await expect(rows).to_have_count(10)
    assert tab.operations()[before:] == ["UsersList"]
    assert tab.graphql[-1]["variables"]["after"]

    await page.get_by_role("button", name="← Previous").click()
    await expect(rows).to_have_count(25)
    # A filter is a new first page: one query again.
    before = len(tab.graphql)
    await page.get_by_label("Search users").fill("person0")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(10)
    assert tab.operations()[before:] == ["UsersList"]
    assert time.monotonic() - started < 60


async def test_staff_signs_in_with_a_password_and_out(tab: Tab, world: World, gql: GraphQL) -> None:
    await tab.open("/")
    await expect(tab.page).to_have_url(re.compile(r"/console/sign-in"))
    await tab.sign_in_with_password(world.staff.email, "wrong password, long enough")
    await expect(tab.page.get_by_role("alert")).to_contain_text("email or password")
    await tab.sign_in_with_password(world.staff.email, DEFAULT_PASSWORD)
    await expect(tab.page.get_by_test_id("signed-in-as")).to_have_text(world.staff.email)
    await expect(tab.page.get_by_text("MASTER", exact=True)).to_be_visible()
    await expect(tab.page.get_by_test_id("session-expiry")).to_contain_text(
        re.compile(r"session ends in 1[12] h")
    )
    await expect(tab.page.get_by_role("link", name="Master keys")).to_be_visible()
    token = tab.page.evaluate("JSON.parse(localStorage['admiral.console.credential']).token")
    session_token = await token
    assert (await gql("{ me { scope } }", token=session_token)).data == {"me": {"scope": "MASTER"}}

    await tab.page.get_by_role("button", name="Sign out").click()
    await expect(tab.page.get_by_role("heading", name="Admiral console")).to_be_visible()
    assert "SessionRevoke" in tab.operations()
    assert (await gql("{ me { scope } }", token=session_token)).status == 401


async def test_suspend_and_unsuspend_after_reading_the_dry_run(
    tab: Tab, world: World, factory: Factory
) -> None:
    target = world.member
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open(f"/users/{gid('usr', target)}")
    page = tab.page
    await expect(page.get_by_role("heading", name=re.compile(target.name))).to_be_visible()
    await tab.shot("user-detail")

    await page.get_by_role("button", name="Suspend…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Preview").click()
    # Without a reason the API answers a userError, shown next to the field it names.
    await expect(dialog.locator("#field-reason + .field-error")).to_be_visible()
    await dialog.get_by_label("Reason").fill("Chargebacks under review")
    await dialog.get_by_label("Duration in hours").fill("48")
    await dialog.get_by_role("button", name="Preview").click()
    preview = dialog.get_by_test_id("dry-run-preview")
    await expect(preview.get_by_test_id("preview-status")).to_have_text("SUSPENDED")
    await expect(preview).to_contain_text("Dry run: nothing has changed yet")
    await tab.shot("suspend-preview")
    assert (await factory.get(User, target.id)).status == UserStatus.ACTIVE

    await dialog.get_by_role("button", name="Suspend").dblclick()
    await expect(page.get_by_role("heading", name=re.compile("SUSPENDED"))).to_be_visible()
    assert (await factory.get(User, target.id)).status == UserStatus.SUSPENDED
    suspends = [b for b in tab.graphql if b.get("operationName") == "UserSuspend"]
    real = [b for b in suspends if b["variables"]["dryRun"] is False]
    assert [b["variables"]["dryRun"] for b in suspends][:2] == [True, True]
    # A double click sends the same key; the server acts once.
    assert len({b["variables"]["idempotencyKey"] for b in real}) == 1

    await page.get_by_role("button", name="Unsuspend…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("preview-status")).to_have_text("ACTIVE")
    assert (await factory.get(User, target.id)).status == UserStatus.SUSPENDED
    await dialog.get_by_role("button", name="Unsuspend").click()
    await expect(page.get_by_role("heading", name=re.compile("ACTIVE"))).to_be_visible()
    assert (await factory.get(User, target.id)).status == UserStatus.ACTIVE
    notes = page.get_by_role("table", name="Notes")
    await expect(notes).to_contain_text("Chargebacks under review")


async def test_a_session_admin_sees_only_their_customers(tab: Tab, world: World) -> None:
    await tab.open("/sign-in")
    await tab.sign_in_with_password(world.owner.email, DEFAULT_PASSWORD)
    page = tab.page
    await expect(page.get_by_text("SESSION", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation", name="Screens")
    await expect(nav.get_by_role("link")).to_have_text(
        ["Users", "Customers", "Plans", "API keys", "Licenses", "Webhooks", "Audit log"]
    )
    # No status counts: userStats is master-only, and the query does not ask for it.
    await expect(page.get_by_role("group", name="Status counts")).to_have_count(0)

    await nav.get_by_role("link", name="Customers").click()
    rows = page.get_by_role("table", name="Customers").locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("own-co")
    await tab.shot("customers-session")

    await rows.get_by_role("link").click()
    await expect(page.get_by_role("heading", name=re.compile(world.own.name))).to_be_visible()
    actions = page.get_by_label("Actions")
    await expect(actions.get_by_role("button")).to_have_text(["Edit…"])
    await expect(page.get_by_role("button", name="Invite…")).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("^Notes"))).to_have_count(0)
    await tab.shot("customer-detail-session")

    await tab.open(f"/customers/{gid('cus', world.other)}")
    await expect(page.get_by_role("heading", name="Customer not found")).to_be_visible()
    await expect(page.get_by_text(world.other.name)).to_have_count(0)

    await tab.open(f"/users/{gid('usr', world.member)}")
    await expect(page.get_by_role("heading", name=re.compile(world.member.name))).to_be_visible()
    await expect(page.get_by_label("Actions").get_by_role("button")).to_have_count(0)
    await tab.open("/master-keys")
    await expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    # Every request of this session went by hash: the server accepts nothing else from it.
    assert tab.sent_text() == []
    assert all("query" not in body for body in tab.graphql)


async def test_impersonation_shows_who_whom_and_time_left(tab: Tab, world: World) -> None:
    await tab.sign_in_with_key(world.master)
    await expect(tab.page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await tab.open(f"/users/{gid('usr', world.owner)}")
    page = tab.page
    await page.get_by_role("button", name="Impersonate…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("read-only token")
    await dialog.get_by_role("button", name="Impersonate").click()
    banner = page.get_by_role("status", name="Impersonation")
    await expect(banner).to_contain_text(f"Impersonating {world.owner.email}")
    await expect(banner).to_contain_text("(master key)")
    await expect(banner).to_contain_text("read-only")
    await expect(banner.get_by_test_id("impersonation-left")).to_have_text(
        re.compile(r"1[45] min left")
    )
    await expect(page.get_by_text("SESSION", exact=True)).to_be_visible()
    await page.get_by_role("link", name="Customers").click()
    await expect(page.get_by_role("table", name="Customers").locator("tbody tr")).to_have_count(1)
    # Read-only: no mutation is offered.
    await page.get_by_role("table", name="Customers").get_by_role("link").click()
    await expect(page.get_by_role("heading", name=re.compile(world.own.name))).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("…$"))).to_have_count(0)
    await tab.shot("impersonation")

    await banner.get_by_role("button", name="Stop impersonating").click()
    await expect(banner).to_have_count(0)
    await expect(page.get_by_text("MASTER", exact=True)).to_be_visible()
    assert "SessionRevoke" in tab.operations()


async def test_an_invitation_is_accepted_from_its_link(
    tab: Tab, world: World, gql: GraphQL, factory: Factory
) -> None:
    invitee = await factory.user("invitee@example.com", name="Invited Person")
    created = await Mutation("invitationCreate", "acceptUrl").payload(
        gql,
        {"customerId": gid("cus", world.own), "email": invitee.email, "role": "ADMIN"},
        token=world.owner_token,
    )
    link = urlsplit(created["acceptUrl"])
    # The default base is the server itself: its mail path leads into the console.
    await tab.page.goto(f"{tab.base}{link.path}?{link.query}")
    page = tab.page
    await expect(page).to_have_url(re.compile(r"/console/invitations/accept\?token="))
    await page.get_by_role("link", name="Sign in to accept").click()
    await tab.sign_in_with_password(invitee.email, DEFAULT_PASSWORD)
    preview = page.get_by_test_id("dry-run-preview")
    await expect(preview).to_contain_text("as ADMIN")
    assert await factory.count(Membership, Membership.user_id == invitee.id) == 0
    await tab.shot("invitation-accept")
    await page.get_by_role("button", name="Accept the invitation").click()
    await expect(page.get_by_test_id("joined")).to_contain_text("You joined as ADMIN")
    assert await factory.count(Membership, Membership.user_id == invitee.id) == 1
    await page.get_by_role("link", name="Open the console").click()
    await page.get_by_role("link", name="Customers").click()
    await expect(page.get_by_role("table", name="Customers")).to_contain_text("own-co")


async def test_a_password_is_reset_from_its_link(tab: Tab, world: World, gql: GraphQL) -> None:
    made = await Mutation("userPasswordReset", "resetUrl").payload(
        gql, {"userId": gid("usr", world.admin)}, token=world.master
    )
    link = urlsplit(made["resetUrl"])
    await tab.page.goto(f"{tab.base}{link.path}?{link.query}")
    page = tab.page
    await page.get_by_label("New password").fill("short")
    await page.get_by_label("The same again").fill("short")
    await page.get_by_role("button", name="Set the password").click()
    await expect(page.locator("#field-password + .help + .field-error")).to_be_visible()
    await page.get_by_label("New password").fill("a brand new passphrase")
    await page.get_by_label("The same again").fill("a brand new passphrase")
    await tab.shot("reset-password")
    await page.get_by_role("button", name="Set the password").click()
    await expect(page.get_by_test_id("reset-done")).to_be_visible()
    await page.get_by_role("link", name="Sign in").click()
    await tab.sign_in_with_password(world.admin.email, "a brand new passphrase")
    await expect(page.get_by_test_id("signed-in-as")).to_have_text(world.admin.email)


async def test_master_keys_and_the_audit_log(tab: Tab, world: World, gql: GraphQL) -> None:
    await tab.sign_in_with_key(world.master)
    page = tab.page
    await page.get_by_role("link", name="Master keys").click()
    await page.get_by_role("button", name="New key…").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("What it is for").fill("deploy pipeline")
    await dialog.get_by_role("button", name="Preview").click()
    await expect(dialog.get_by_test_id("dry-run-preview")).to_contain_text("deploy pipeline")
    await dialog.get_by_role("button", name="Create").click()
    secret = dialog.get_by_test_id("new-key")
    await expect(secret).to_have_text(re.compile(r"^admk_"))
    key = await secret.inner_text()
    await expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
    await tab.shot("master-key-created")
    await dialog.get_by_role("button", name="Done").click()
    assert (await gql("{ me { scope } }", token=key)).data == {"me": {"scope": "MASTER"}}

    row = page.get_by_role("row").filter(has_text="deploy pipeline")
    await row.get_by_role("button", name="Revoke…").click()
    await page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    await expect(page.get_by_role("row").filter(has_text="deploy pipeline")).to_have_count(0)
    assert (await gql("{ me { scope } }", token=key)).status == 401

    await page.get_by_role("link", name="Audit log").click()
    table = page.get_by_role("table", name="Audit events")
    await expect(table).to_contain_text("master_key.revoke")
    await page.get_by_label("Action").fill("master_key.create")
    await page.get_by_role("button", name="Filter").click()
    await expect(table).not_to_contain_text("master_key.revoke")
    await expect(table).to_contain_text("master_key.create")
    await page.get_by_role("button", name="Verify the chain").click()
    await expect(page.get_by_test_id("chain-verification")).to_contain_text("The chain is intact")
    await tab.shot("audit-log")
