"""Mails through a real SMTP server: invitations whose link works, resets, notices, retries."""

from __future__ import annotations

import logging
import re
import socket
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.models.tables import CUSTOMERS, OUTBOX_EVENTS
from app.outbox.schedule import DELAYS
from app.settings import Settings
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.mail import support
from tests.support import rows

INVITE = Mutation("invitationCreate", "invitation { id } acceptUrl")
ACCEPT = Mutation("invitationAccept", "membership { role } customerId")
RESET = Mutation("userPasswordReset", "resetUrl")
SUSPEND = Mutation("userSuspend", "user { id }")
EMAILS = "{ emails { totalCount nodes { template to subject status hasLink link attemptCount lastError context } } }"


def link_in(text: str) -> str:
    found = re.search(r"https?://\S+token=\S+", text)
    assert found, text
    return found.group(0)


async def test_an_invitation_mail_arrives_and_its_link_works(
    gql: GraphQL, world: World, db: Database, settings: Settings, factory: Factory
) -> None:
    await INVITE.ok(
        gql,
        {"customerId": gid("cus", world.own), "email": "new@own.test", "role": "ADMIN"},
        token=world.owner_token,
    )
    # Stored encrypted until sent: the outbox event and the mail hold no readable link.
    [event] = await rows(
        db, sa.select(OUTBOX_EVENTS).where(OUTBOX_EVENTS.c.event_type == "mail.invitation")
    )
    assert "token=" not in str(event.data)
    assert "linkEncrypted" in event.data
    async with support.smtp_server() as inbox:
        mailer = support.dispatcher(db, settings, inbox.port)
        assert await mailer.step() == 1
        [message] = inbox.messages
        assert message["To"] == "new@own.test"
        assert message["Reply-To"] == "support@example.test"
        assert message["Subject"] == f"You are invited to join {world.own.name} on Admiral"
        link = link_in(support.Inbox.text(message))
        assert link in support.Inbox.html(message).replace("&amp;", "&")
    [sent] = await support.emails(db)
    assert sent.status == "SENT"
    assert sent.link_encrypted is None
    token = parse_qs(urlsplit(link).query)["token"][0]
    invitee = await factory.user("new@own.test")
    accepted = await ACCEPT.ok(gql, {"token": token}, token=await factory.session_token(invitee))
    assert accepted["membership"]["role"] == "ADMIN"
    assert accepted["customerId"] == gid("cus", world.own)


async def test_a_password_reset_and_a_suspension_are_mailed(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    await RESET.ok(gql, {"userId": gid("usr", world.member)}, token=world.master)
    await SUSPEND.ok(
        gql, {"userId": gid("usr", world.member), "reason": "Chargebacks"}, token=world.master
    )
    async with support.smtp_server() as inbox:
        assert await support.dispatcher(db, settings, inbox.port).step() == 2
    subjects = sorted(message["Subject"] for message in inbox.messages)
    assert subjects == ["Reset your Admiral password", "Your Admiral account is suspended"]
    suspended = next(m for m in inbox.messages if "suspended" in m["Subject"])
    assert "Chargebacks" in support.Inbox.text(suspended)
    reset = next(m for m in inbox.messages if "Reset" in m["Subject"])
    assert "/reset-password?token=" in support.Inbox.text(reset)


async def test_a_dry_run_queues_no_mail(gql: GraphQL, world: World, db: Database) -> None:
    await RESET.ok(gql, {"userId": gid("usr", world.member)}, token=world.master, dry_run=True)
    assert await rows(db, sa.select(OUTBOX_EVENTS)) == []


async def test_html_is_escaped(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    await SUSPEND.ok(
        gql,
        {"userId": gid("usr", world.member), "reason": "<script>x</script>"},
        token=world.master,
    )
    async with support.smtp_server() as inbox:
        await support.dispatcher(db, settings, inbox.port).step()
    [message] = inbox.messages
    assert "<script>" not in support.Inbox.html(message)
    assert "&lt;script&gt;" in support.Inbox.html(message)


async def test_without_smtp_mails_stay_listed_with_links_redacted(
    gql: GraphQL, world: World, db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    created = await INVITE.ok(
        gql,
        {"customerId": gid("cus", world.own), "email": "new@own.test", "role": "MEMBER"},
        token=world.owner_token,
    )
    with caplog.at_level(logging.INFO):
        assert await support.dispatcher(db, settings, None).step() == 0
    assert "queued: no SMTP server is configured" in caplog.text
    token = parse_qs(urlsplit(created["acceptUrl"]).query)["token"][0]
    assert token not in caplog.text
    data = await gql.ok(EMAILS, token=world.master)
    [mail] = data["emails"]["nodes"]
    assert mail["status"] == "QUEUED"
    assert mail["hasLink"] is True
    assert mail["link"] == "[link redacted]"
    assert mail["to"] == "new@own.test"
    assert token not in str(data)
    refused = await gql("{ emails { totalCount } }", token=world.owner_token)
    assert refused.data == {"emails": None}
    assert refused.codes == ["FORBIDDEN"]


async def test_smtp_failures_are_retried_then_given_up(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await SUSPEND.ok(gql, {"userId": gid("usr", world.member), "reason": "x"}, token=world.master)
    mailer = support.dispatcher(db, settings, port)
    assert await mailer.step() == 1
    [mail] = await support.emails(db)
    assert mail.status == "PENDING"
    assert mail.attempt_count == 1
    assert mail.last_error
    travelled = timedelta(0)
    for attempt in range(2, len(DELAYS) + 1):
        travelled += DELAYS[attempt - 1] * 1.2
        with clock.travel(travelled):
            assert await mailer.step() == 1
    [mail] = await support.emails(db)
    assert mail.status == "FAILED"
    assert mail.attempt_count == len(DELAYS)
    assert len(mail.attempts) == len(DELAYS)


async def test_email_preview(gql: GraphQL, world: World) -> None:
    query = """query($t: String!, $v: JSON) { emailPreview(template: $t, values: $v) { subject text html } }"""
    data = await gql.ok(
        query, {"t": "invitation", "v": {"customerName": "<Acme & Co>"}}, token=world.master
    )
    preview = data["emailPreview"]
    assert "<Acme & Co>" in preview["subject"]
    assert "&lt;Acme &amp; Co&gt;" in preview["html"]
    assert "preview-link" in preview["text"]
    refused = await gql(query, {"t": "invitation"}, token=world.owner_token)
    assert refused.codes == ["FORBIDDEN"]
    unknown = await gql(query, {"t": "nope"}, token=world.master)
    assert unknown.codes == ["BAD_USER_INPUT"]


async def test_queued_mails_go_out_once_smtp_is_configured(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    await SUSPEND.ok(gql, {"userId": gid("usr", world.member), "reason": "x"}, token=world.master)
    await support.dispatcher(db, settings, None).step()
    [mail] = await support.emails(db)
    assert mail.status == "QUEUED"
    async with support.smtp_server() as inbox:
        assert await support.dispatcher(db, settings, inbox.port).step() == 1
    assert len(inbox.messages) == 1
    [mail] = await support.emails(db)
    assert mail.status == "SENT"


async def test_a_finalized_invoice_is_mailed_to_the_billing_address(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    from tests.billing.invoice_support import INVOICE_CREATE, INVOICE_FINALIZE

    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(CUSTOMERS)
            .where(CUSTOMERS.c.id == world.own.id)
            .values(billing_email="billing@own.test")
        )
    items = [{"description": "Setup", "amount": 12345, "quantity": 2}]
    draft = await INVOICE_CREATE.ok(
        gql, {"customerId": gid("cus", world.own), "items": items}, token=world.master
    )
    # A draft is mailed to nobody.
    assert [m.event_type for m in await rows(db, sa.select(OUTBOX_EVENTS))].count(
        "mail.invoice_finalized"
    ) == 0
    done = await INVOICE_FINALIZE.ok(gql, {"invoiceId": draft["invoice"]["id"]}, token=world.master)
    number = done["invoice"]["number"]
    async with support.smtp_server() as inbox:
        assert await support.dispatcher(db, settings, inbox.port).step() == 1
    [message] = inbox.messages
    assert message["To"] == "billing@own.test"
    assert message["Subject"] == f"Invoice {number} from Admiral: 246.90 USD"
    assert "Amount due: 246.90 USD." in support.Inbox.text(message)


async def test_no_invoice_mail_without_a_billing_email(
    gql: GraphQL, world: World, db: Database
) -> None:
    from tests.billing.invoice_support import INVOICE_CREATE, INVOICE_FINALIZE

    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(CUSTOMERS).where(CUSTOMERS.c.id == world.own.id).values(billing_email="")
        )
    items = [{"description": "Setup", "amount": 100, "quantity": 1}]
    draft = await INVOICE_CREATE.ok(
        gql, {"customerId": gid("cus", world.own), "items": items}, token=world.master
    )
    await INVOICE_FINALIZE.ok(gql, {"invoiceId": draft["invoice"]["id"]}, token=world.master)
    types = [row.event_type for row in await rows(db, sa.select(OUTBOX_EVENTS))]
    assert "invoice.finalized" in types
    assert "mail.invoice_finalized" not in types
