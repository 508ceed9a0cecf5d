"""`jobs`, `jobRetry`, `jobDiscard`: one view over webhook deliveries, mails and payments."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.db import Database
from app.models.invoices import InvoiceStatus
from app.models.tables import EMAILS, INVOICES, PAYMENT_ATTEMPTS, WEBHOOK_DELIVERIES
from app.settings import Settings
from tests.helpers import Factory, GraphQL, Mutation, StatementCounter, World, gid
from tests.ops.queue_rows import Queued, queued
from tests.support import audit_events, rows

JOBS = """
query($first: Int, $after: String, $filter: JobFilter) {
  jobs(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id queue status subject attempts lastError dueAt createdAt customerId } }
    pageInfo { hasNextPage endCursor }
  }
}"""

JOB = "job { id queue status attempts dueAt lastError }"
RETRY = Mutation("jobRetry", JOB)
DISCARD = Mutation("jobDiscard", JOB)


@pytest.fixture
async def jobs(db: Database, settings: Settings, world: World) -> Queued:
    return await queued(db, settings, world.own)


async def _actions(db: Database) -> list[tuple[str, str]]:
    """The audit events of jobs and what they call (the setup's events left out)."""
    return [
        (event.action, event.target_type)
        for event in await audit_events(db)
        if event.action.split(".")[0] in ("job", "webhook_delivery", "invoice")
    ]


async def _list(gql: GraphQL, token: str, **filter: Any) -> list[dict[str, Any]]:
    data = await gql.ok(JOBS, {"first": 50, "filter": filter}, token=token)
    return [edge["node"] for edge in data["jobs"]["edges"]]


async def test_failed_jobs_of_every_queue_are_listed(
    gql: GraphQL, master_token: str, jobs: Queued
) -> None:
    failed = await _list(gql, master_token, status="FAILED")
    assert {(job["queue"], job["id"]) for job in failed} == {
        ("WEBHOOK_DELIVERIES", gid("whd", jobs.failed_delivery)),
        ("EMAILS", gid("eml", jobs.failed_email)),
        ("EMAILS", gid("eml", jobs.failed_reset)),
        # The invoice's latest attempt only; the first one is history.
        ("PAYMENTS", gid("pat", jobs.failed_payment)),
    }
    payment = next(job for job in failed if job["queue"] == "PAYMENTS")
    assert payment["attempts"] == 2
    assert payment["lastError"] == "Card declined again."
    assert payment["subject"] == jobs.invoice.number
    mail = next(job for job in failed if job["id"] == gid("eml", jobs.failed_email))
    assert mail["lastError"] == "SMTP failed: SMTPConnectError."
    assert mail["subject"] == "user_blocked"


async def test_states_are_derived_from_each_queue(
    gql: GraphQL, master_token: str, jobs: Queued
) -> None:
    listed = {job["id"]: job["status"] for job in await _list(gql, master_token)}
    assert listed[gid("whd", jobs.pending_delivery)] == "PENDING"
    assert listed[gid("whd", jobs.leased_delivery)] == "RUNNING"  # a live lease
    assert listed[gid("whd", jobs.done_delivery)] == "SUCCEEDED"
    assert listed[gid("pat", jobs.planned_payment)] == "PENDING"  # a retry is planned
    running = await _list(gql, master_token, status="RUNNING")
    assert [job["id"] for job in running] == [gid("whd", jobs.leased_delivery)]
    only_mails = await _list(gql, master_token, queue="EMAILS")
    assert {job["queue"] for job in only_mails} == {"EMAILS"}
    assert len(only_mails) == 2


async def test_pages_follow_the_keyset_newest_first(
    gql: GraphQL, master_token: str, jobs: Queued
) -> None:
    seen: list[str] = []
    after = None
    while True:
        data = await gql.ok(JOBS, {"first": 3, "after": after}, token=master_token)
        page = data["jobs"]
        assert page["totalCount"] == 8
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 8
    created = [job["createdAt"] for job in await _list(gql, master_token)]
    assert created == sorted(created, reverse=True)


async def test_a_page_is_a_constant_number_of_statements(
    gql: GraphQL, master_token: str, jobs: Queued, statements: StatementCounter
) -> None:
    await gql.ok(JOBS, {"first": 1}, token=master_token)  # the key's first use writes its time
    counts = []
    for first in (5, 8):  # both pages mix deliveries, mails and payments
        with statements.measure() as counted:
            await gql.ok(JOBS, {"first": first}, token=master_token)
        counts.append(counted.count)
    assert counts[0] == counts[1]


async def test_a_forged_cursor_is_refused(gql: GraphQL, master_token: str, jobs: Queued) -> None:
    response = await gql(JOBS, {"after": "bm90LWEtY3Vyc29y"}, token=master_token)
    assert response.codes == ["INVALID_CURSOR"]


async def test_jobs_are_for_masters(gql: GraphQL, world: World, jobs: Queued) -> None:
    response = await gql(JOBS, {}, token=world.owner_token)
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {"jobs": None}
    refused = await RETRY.send(
        gql,
        {"queue": "EMAILS", "id": gid("eml", jobs.failed_email)},
        token=world.owner_token,
    )
    assert "FORBIDDEN" in refused.codes


async def test_retry_a_failed_delivery_through_the_webhooks_service(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database
) -> None:
    target = {"queue": "WEBHOOK_DELIVERIES", "id": gid("whd", jobs.failed_delivery)}
    payload = await RETRY.ok(gql, target, token=master_token)
    assert payload["job"]["status"] == "PENDING"
    assert payload["job"]["attempts"] == 0
    row = (
        await rows(
            db,
            sa.select(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.c.id == jobs.failed_delivery.id),
        )
    )[0]
    assert row.status == "PENDING"
    assert row.next_attempt_at is not None
    assert await _actions(db) == [("webhook_delivery.retry", "WebhookDelivery")]


async def test_retry_a_failed_mail_and_a_failed_payment(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database
) -> None:
    mail = await RETRY.ok(
        gql, {"queue": "EMAILS", "id": gid("eml", jobs.failed_email)}, token=master_token
    )
    assert mail["job"]["status"] == "PENDING"
    payment = await RETRY.ok(
        gql, {"queue": "PAYMENTS", "id": gid("pat", jobs.failed_payment)}, token=master_token
    )
    assert payment["job"]["status"] == "PENDING"
    assert payment["job"]["dueAt"] is not None
    assert await _actions(db) == [("job.retry", "Email"), ("job.retry", "PaymentAttempt")]
    event = next(e for e in await audit_events(db) if e.action == "job.retry")
    assert event.diff["status"] == {"before": "FAILED", "after": "PENDING"}


async def test_discard_takes_a_job_out_of_the_failed_ones(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database
) -> None:
    for queue, prefix, row in (
        ("WEBHOOK_DELIVERIES", "whd", jobs.failed_delivery),
        ("EMAILS", "eml", jobs.failed_email),
        ("PAYMENTS", "pat", jobs.failed_payment),
    ):
        payload = await DISCARD.ok(
            gql, {"queue": queue, "id": gid(prefix, row)}, token=master_token
        )
        assert payload["job"]["status"] == "DISCARDED", queue
    failed = await _list(gql, master_token, status="FAILED")
    assert [job["id"] for job in failed] == [gid("eml", jobs.failed_reset)]
    invoice = (await rows(db, sa.select(INVOICES).where(INVOICES.c.id == jobs.invoice.id)))[0]
    # Giving the payment up is the invoices service's own transition, audited as such.
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    actions = [action for action, _ in await _actions(db)]
    assert actions.count("job.discard") == 3
    assert "invoice.mark_uncollectible" in actions
    # A discarded delivery can be queued again.
    again = await RETRY.ok(
        gql,
        {"queue": "WEBHOOK_DELIVERIES", "id": gid("whd", jobs.failed_delivery)},
        token=master_token,
    )
    assert again["job"]["status"] == "PENDING"


async def test_dry_runs_change_nothing(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database
) -> None:
    before = await rows(db, sa.select(EMAILS.c.id, EMAILS.c.status).order_by(EMAILS.c.id))
    target = {"queue": "EMAILS", "id": gid("eml", jobs.failed_email)}
    for mutation in (RETRY, DISCARD):
        payload = await mutation.ok(gql, target, token=master_token, dry_run=True)
        assert payload["job"]["status"] in ("PENDING", "DISCARDED")
    assert await rows(db, sa.select(EMAILS.c.id, EMAILS.c.status).order_by(EMAILS.c.id)) == before
    assert await _actions(db) == []


async def test_idempotent_replay_acts_once(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database
) -> None:
    target = {"queue": "PAYMENTS", "id": gid("pat", jobs.failed_payment)}
    first = await RETRY.ok(gql, target, token=master_token, key="retry-1")
    second = await RETRY.ok(gql, target, token=master_token, key="retry-1")
    assert first == second
    assert await _actions(db) == [("job.retry", "PaymentAttempt")]


async def test_unknown_and_illegal_jobs_are_user_errors(
    gql: GraphQL, master_token: str, jobs: Queued, db: Database, factory: Factory
) -> None:
    missing = {"queue": "EMAILS", "id": gid("eml", jobs.failed_delivery)}  # not a mail's id
    assert await RETRY.refused(gql, missing, token=master_token) == [("NOT_FOUND", ["input", "id"])]
    wrong = {"queue": "PAYMENTS", "id": gid("whd", jobs.failed_delivery)}  # wrong prefix
    assert await DISCARD.refused(gql, wrong, token=master_token) == [("NOT_FOUND", ["input", "id"])]
    running = {"queue": "WEBHOOK_DELIVERIES", "id": gid("whd", jobs.leased_delivery)}
    assert await RETRY.refused(gql, running, token=master_token) == [
        ("INVALID_STATE", ["input", "id"])
    ]
    assert await DISCARD.refused(gql, running, token=master_token) == [
        ("INVALID_STATE", ["input", "id"])
    ]
    done = {"queue": "WEBHOOK_DELIVERIES", "id": gid("whd", jobs.done_delivery)}
    assert await DISCARD.refused(gql, done, token=master_token) == [
        ("INVALID_STATE", ["input", "id"])
    ]
    # A reset mail without its erased link would be useless: send a new reset instead.
    reset = {"queue": "EMAILS", "id": gid("eml", jobs.failed_reset)}
    assert await RETRY.refused(gql, reset, token=master_token) == [
        ("INVALID_STATE", ["input", "id"])
    ]
    assert await _actions(db) == []
    statuses = await rows(
        db,
        sa.select(PAYMENT_ATTEMPTS.c.next_attempt_at).where(
            PAYMENT_ATTEMPTS.c.id == jobs.failed_payment.id
        ),
    )
    assert statuses[0].next_attempt_at is None
