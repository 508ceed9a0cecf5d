"""Operations mutations (master only): retry or discard a background job."""

from __future__ import annotations

import uuid

import strawberry

from app.graphql.context import Info
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.ops.types import Job, JobQueueEnum
from app.graphql.permissions import master_writer
from app.kit.uow import UnitOfWork
from app.ops import jobs


@strawberry.input
class JobInput:
    queue: JobQueueEnum  # type: ignore[valid-type]
    id: strawberry.ID = strawberry.field(description="The job's id, as `jobs` lists it.")


@strawberry.input
class JobRetryInput(JobInput):
    pass


@strawberry.input
class JobDiscardInput(JobInput):
    pass


@strawberry.type
class JobPayload(Payload):
    job: Job | None = None


def _id(given: JobInput) -> tuple[jobs.JobQueue, uuid.UUID]:
    queue = jobs.JobQueue(given.queue)
    job_id: uuid.UUID = input_id(given.id, jobs.PREFIXES[queue], "id", "Job")
    return queue, job_id


@mutation(
    master_writer,
    "Queue a pending, failed or discarded job again, due now (a webhook delivery with a fresh "
    "set of attempts; a payment at the renewal loop's next step).",
)
async def job_retry(info: Info, input: JobRetryInput, uow: UnitOfWork) -> JobPayload:
    queue, job_id = _id(input)
    return JobPayload(job=Job.of(await jobs.retry(uow, queue, job_id)))


@mutation(
    master_writer,
    "Give a pending or failed job up: it is never run again (a payment: its invoice is "
    "marked uncollectible).",
)
async def job_discard(info: Info, input: JobDiscardInput, uow: UnitOfWork) -> JobPayload:
    queue, job_id = _id(input)
    return JobPayload(job=Job.of(await jobs.discard(uow, queue, job_id)))
