"""Validating and storing a batch of usage events (`POST /v1/usage`).

A batch is all or nothing: every bad event is reported (its index, field and code) and none of
the batch is stored. A stored batch is committed before the caller hears 202; an event whose
idempotency key the customer already used is skipped (`usage_idempotency_keys`), so it counts
once. Beside the API key's lookup a batch costs one statement on PostgreSQL (two on SQLite,
when it carries idempotency keys): what it needs to know is kept in a `Catalog`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.ids import decode
from app.kit.uow import UnitOfWork
from app.models.projects import Project
from app.models.usage import NO_PROJECT, Aggregation, UsageMetric
from app.usage import buckets, repository
from app.usage.broker import BROKER

MAX_EVENTS = 1000
MAX_AGE = timedelta(days=35)
# A client clock a little ahead of ours is not "the future".
FUTURE_SKEW = timedelta(minutes=1)
MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 200


PROJECTS_KEPT_SECONDS = 60.0


class Catalog:
    """What every batch looks up, kept by the process so a batch costs one statement: the
    metrics by code (declared, never changed or removed; a code not known yet is looked up
    each time, so a metric declared by another process counts at once) and the projects
    known to be a customer's (for a minute: a deleted project is refused soon after).
    `forget` drops it all: the endpoint calls it when an insert names a metric that is gone
    (a database reset under a running process) and tries once more."""

    def __init__(self) -> None:
        self._metrics: dict[str, UsageMetric] = {}
        self._projects: dict[tuple[uuid.UUID, uuid.UUID], float] = {}

    def forget(self) -> None:
        self._metrics.clear()
        self._projects.clear()

    async def metrics(self, session: AsyncSession, codes: Iterable[str]) -> dict[str, UsageMetric]:
        wanted = set(codes)
        missing = wanted - self._metrics.keys()
        if missing:
            self._metrics.update(await repository.metrics_by_code(session, missing))
        return {code: self._metrics[code] for code in wanted if code in self._metrics}

    async def projects_of(
        self, session: AsyncSession, customer_id: uuid.UUID, project_ids: set[uuid.UUID]
    ) -> set[uuid.UUID]:
        now = time.monotonic()
        known = {p for p in project_ids if self._projects.get((customer_id, p), 0.0) > now}
        missing = project_ids - known
        if missing:
            found = await repository.projects_of(session, customer_id, missing)
            for project in found:
                self._projects[(customer_id, project)] = now + PROJECTS_KEPT_SECONDS
            known |= found
        return known


CATALOG = Catalog()


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sends the batch: the API key's customer, the key, and the key's project if any."""

    customer_id: uuid.UUID
    key_id: uuid.UUID | None
    project_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Accepted:
    received: int
    stored: int  # the others repeated an idempotency key

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def _problem(index: int, name: str, code: ErrorCode, reason: str) -> UserInputError:
    return UserInputError(f"Event {index}: {reason}", code, ["events", str(index), name])


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("`timestamp` must be an ISO 8601 string.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("`timestamp` is not an ISO 8601 time.") from None
    return clock.as_utc(parsed)


def _check(
    index: int, event: Any, metrics: dict[str, UsageMetric], now: datetime
) -> tuple[list[UserInputError], dict[str, Any]]:
    """The problems of one event, and its parsed fields when it has none."""
    if not isinstance(event, dict):
        return [_problem(index, "event", ErrorCode.INVALID, "an event is a JSON object.")], {}
    problems: list[UserInputError] = []
    parsed: dict[str, Any] = {}
    code = event.get("metric")
    metric = metrics.get(code) if isinstance(code, str) else None
    if not isinstance(code, str) or not code:
        problems.append(_problem(index, "metric", ErrorCode.REQUIRED, "`metric` is required."))
    elif metric is None:
        problems.append(
            _problem(index, "metric", ErrorCode.UNKNOWN_METRIC, f"unknown metric `{code[:64]}`.")
        )
    quantity = event.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        problems.append(
            _problem(index, "quantity", ErrorCode.INVALID, "`quantity` must be an integer.")
        )
    elif quantity < 0:
        problems.append(
            _problem(index, "quantity", ErrorCode.NEGATIVE_QUANTITY, "`quantity` is negative.")
        )
    elif quantity > 2**53:
        problems.append(_problem(index, "quantity", ErrorCode.INVALID, "`quantity` is too large."))
    occurred = now
    if event.get("timestamp") is not None:
        try:
            occurred = _parse_time(event["timestamp"])
        except ValueError as error:
            problems.append(_problem(index, "timestamp", ErrorCode.INVALID, str(error)))
        else:
            if occurred < now - MAX_AGE:
                problems.append(
                    _problem(
                        index,
                        "timestamp",
                        ErrorCode.TIMESTAMP_TOO_OLD,
                        "`timestamp` is more than 35 days old.",
                    )
                )
            elif occurred > now + FUTURE_SKEW:
                problems.append(
                    _problem(
                        index,
                        "timestamp",
                        ErrorCode.TIMESTAMP_IN_FUTURE,
                        "`timestamp` is in the future.",
                    )
                )
    project: uuid.UUID | None = None
    if event.get("projectId") is not None:
        try:
            project = decode(str(event["projectId"]), Project.PREFIX)
        except ValueError:
            problems.append(
                _problem(index, "projectId", ErrorCode.UNKNOWN_PROJECT, "unknown `projectId`.")
            )
    key = event.get("idempotencyKey")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH):
        problems.append(
            _problem(
                index,
                "idempotencyKey",
                ErrorCode.INVALID,
                f"`idempotencyKey` must be a string of 1 to {MAX_KEY_LENGTH} characters.",
            )
        )
    properties = event.get("properties")
    if properties is not None and not isinstance(properties, dict):
        problems.append(
            _problem(index, "properties", ErrorCode.INVALID, "`properties` must be an object.")
        )
        properties = None
    value = (properties or {}).get("value")
    valid_value = isinstance(value, str | int) and 0 < len(str(value)) <= MAX_VALUE_LENGTH
    if metric is not None and metric.aggregation is Aggregation.UNIQUE_COUNT and not valid_value:
        problems.append(
            _problem(
                index,
                "properties",
                ErrorCode.VALUE_REQUIRED,
                f"metric `{metric.code}` counts distinct `properties.value` "
                f"(a string of 1 to {MAX_VALUE_LENGTH} characters).",
            )
        )
    if not problems:
        assert metric is not None
        parsed = {
            "metric": metric,
            "quantity": quantity,
            "occurred_at": occurred,
            "project_id": project,
            "idempotency_key": key,
            "properties": properties,
            "unique_value": str(value) if metric.aggregation is Aggregation.UNIQUE_COUNT else None,
        }
    return problems, parsed


async def ingest(
    uow: UnitOfWork, caller: Caller, events: Any, catalog: Catalog = CATALOG
) -> Accepted:
    """Validate the whole batch, then store it in one statement (or raise every problem)."""
    if not isinstance(events, list) or not events:
        raise UserInputError("`events` must be a non-empty list.", ErrorCode.INVALID, "events")
    if len(events) > MAX_EVENTS:
        raise UserInputError(
            f"At most {MAX_EVENTS} events per request.", ErrorCode.TOO_MANY_EVENTS, "events"
        )
    session = uow.session
    codes = [e.get("metric") for e in events if isinstance(e, dict)]
    metrics = await catalog.metrics(session, [c for c in codes if isinstance(c, str)])
    now = clock.now()
    problems: list[UserInputError] = []
    parsed: list[dict[str, Any]] = []
    for index, event in enumerate(events):
        found, fields = _check(index, event, metrics, now)
        problems.extend(found)
        parsed.append(fields)
    named = {p["project_id"] for p in parsed if p.get("project_id") is not None}
    if named:
        mine = await catalog.projects_of(session, caller.customer_id, named)
        for index, fields in enumerate(parsed):
            project = fields.get("project_id")
            wrong = project is not None and (
                project not in mine
                or (caller.project_id is not None and project != caller.project_id)
            )
            if wrong:
                problems.append(
                    _problem(
                        index,
                        "projectId",
                        ErrorCode.UNKNOWN_PROJECT,
                        "`projectId` is not a project of this key.",
                    )
                )
    if problems:
        raise UserInputErrors(problems)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for fields in parsed:
        key = fields["idempotency_key"]
        if key is not None:
            if key in seen:
                continue  # repeated within the batch: counted once
            seen.add(key)
        occurred: datetime = fields["occurred_at"]
        rows.append(
            {
                "customer_id": caller.customer_id,
                "project_id": fields["project_id"] or caller.project_id or NO_PROJECT,
                "metric_id": fields["metric"].id,
                "key_id": caller.key_id,
                "quantity": fields["quantity"],
                "occurred_at": occurred,
                "hour_start": buckets.hour_start(occurred),
                "day_start": buckets.day_start(occurred),
                "received_at": now,
                "idempotency_key": key,
                "unique_value": fields["unique_value"],
                "properties": fields["properties"],
            }
        )
    stored = await repository.insert_events(session, uow.dialect, rows)
    codes_by_id = {metric.id: metric.code for metric in metrics.values()}
    if stored and not uow.dry_run:

        async def announce() -> None:
            await BROKER.publish([_announced(row, codes_by_id) for row in stored])

        uow.after_commit.append(announce)
    return Accepted(received=len(events), stored=len(stored))


def _announced(row: Any, codes: dict[uuid.UUID, str]) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "customer_id": row.customer_id.hex,
        "project_id": None if row.project_id == NO_PROJECT else row.project_id.hex,
        "metric": codes[row.metric_id],
        "quantity": row.quantity,
        "occurred_at": row.occurred_at.isoformat(),
        "idempotency_key": row.idempotency_key,
    }
