"""Operations queries (master only): `system`, `jobs`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.graphql.context import Info
from app.graphql.node import parse_id
from app.graphql.ops.types import Job, JobQueueEnum, JobStatusEnum, System
from app.graphql.pagination import Connection, Edge, PageInfo
from app.graphql.permissions import master_only
from app.graphql.root import query
from app.kit import clock
from app.kit.pagination import check_page_size, decode_cursor, encode_cursor
from app.models.customers import Customer
from app.ops import jobs as job_view
from app.ops import system as system_report

CURSOR_KIND = "job"


@query(
    master_only,
    "The state of the system: database, Redis, queues, the usage aggregator, Stripe and the "
    "other outside services (as seen by the process answering). `GET /health` answers the "
    "same with a master key.",
)
async def system(info: Info) -> System | None:
    context = info.context
    found = await system_report.report(
        context.db,
        context.settings,
        expected_head=context.request.app.state.migration_head,
        started_monotonic=context.runtime.started_monotonic,
    )
    return System.of(found)


@strawberry.input
class JobFilter:
    queue: JobQueueEnum | None = None  # type: ignore[valid-type]
    status: JobStatusEnum | None = None  # type: ignore[valid-type]
    customer_id: strawberry.ID | None = None


@query(
    master_only,
    "Background jobs of every queue (webhook deliveries, mails, payments), newest first; "
    "`filter: {status: FAILED}` lists what needs an operator.",
)
async def jobs(
    info: Info, first: int | None = None, after: str | None = None, filter: JobFilter | None = None
) -> Connection[Job] | None:
    given = filter or JobFilter()
    size = check_page_size(first)
    keyset = None
    if after is not None:
        cursor = decode_cursor(after, CURSOR_KIND, datetime)
        keyset = (cursor.value, cursor.id)
    wanted = job_view.Filter(
        queue=given.queue,
        status=given.status,
        customer_id=None
        if given.customer_id is None
        else parse_id(given.customer_id, Customer.PREFIX, "filter.customerId"),
    )
    now = clock.now()
    reader = info.context.reader
    rows = await reader.all(job_view.page_statement(now, wanted, size + 1, keyset))
    page = rows[:size]
    delivery_ids = [
        job_view.job_of(row).id
        for row in page
        if row.queue == job_view.JobQueue.WEBHOOK_DELIVERIES.value
    ]
    errors = (
        job_view.errors_from(await reader.all(job_view.errors_statement(delivery_ids)))
        if delivery_ids
        else {}
    )
    found = [job_view.job_of(row, errors) for row in page]
    edges = [
        Edge(cursor=encode_cursor(CURSOR_KIND, job.created_at, job.id), node=Job.of(job))
        for job in found
    ]

    async def count() -> int:
        return int(await reader.scalar(job_view.count_statement(now, wanted)) or 0)

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
