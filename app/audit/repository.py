"""SQL for the audit trail and for stored idempotent results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH
from app.kit.readmodel import PublicId, ReadModel, registry, row_filter, scoped_by
from app.models import IdempotencyRecord
from app.models.audit import AuditEvent
from app.models.base import UTCDateTime
from app.models.customers import Customer
from app.models.tables import AUDIT_EVENTS, IDEMPOTENCY_RECORDS

IDEMPOTENCY = IDEMPOTENCY_RECORDS

# A fixed advisory lock id: writers of the chain queue here on PostgreSQL.
CHAIN_LOCK_ID = 0x41444D4952414C  # "ADMIRAL"


def _at_or_after(value: datetime) -> sa.ColumnElement[bool]:
    return AUDIT_EVENTS.c.created_at >= sa.literal(value, UTCDateTime())


def _before(value: datetime) -> sa.ColumnElement[bool]:
    return AUDIT_EVENTS.c.created_at < sa.literal(value, UTCDateTime())


AUDIT_EVENT_MODEL = registry.register(
    ReadModel(
        name="AuditEvent",
        table=AUDIT_EVENTS,
        prefix=AuditEvent.PREFIX,
        fields={
            "seq": "seq",
            "createdAt": "created_at",
            "actorType": "actor_type",
            "actorId": "actor_id",
            "impersonatorId": "impersonator_id",
            "action": "action",
            "targetType": "target_type",
            "targetId": "target_id",
            "customerId": PublicId(Customer.PREFIX, "customer_id"),
            "diff": "diff",
            "requestId": "request_id",
            "clientAddr": "client_addr",
            "prevHash": "prev_hash",
            "hash": "hash",
        },
        scope=scoped_by(AUDIT_EVENTS.c.customer_id),
        filters={
            "actor_id": row_filter(lambda value: AUDIT_EVENTS.c.actor_id == value),
            "action": row_filter(lambda value: AUDIT_EVENTS.c.action == value),
            "target_id": row_filter(lambda value: AUDIT_EVENTS.c.target_id == value),
            "subject_id": row_filter(
                lambda value: sa.or_(
                    AUDIT_EVENTS.c.target_id == value, AUDIT_EVENTS.c.actor_id == value
                )
            ),
            "from_": row_filter(_at_or_after),
            "to": row_filter(_before),
        },
        orderings={"SEQ": AUDIT_EVENTS.c.seq},
        default_ordering="SEQ",
        master_only=frozenset({"clientAddr", "prevHash", "hash"}),
    )
)


async def lock_chain(session: AsyncSession, dialect: str) -> None:
    """Serialize chain writers until the transaction ends (SQLite: BEGIN IMMEDIATE does)."""
    if dialect == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK_ID)))


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    row = (
        await session.execute(
            sa.select(AUDIT_EVENTS.c.seq, AUDIT_EVENTS.c.hash)
            .order_by(AUDIT_EVENTS.c.seq.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return 0, GENESIS_HASH
    return int(row.seq), str(row.hash)


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(AUDIT_EVENTS), list(rows))


def chain_batch_statement(after_seq: int, limit: int) -> sa.Select[Any]:
    return (
        sa.select(AUDIT_EVENTS)
        .where(AUDIT_EVENTS.c.seq > after_seq)
        .order_by(AUDIT_EVENTS.c.seq)
        .limit(limit)
    )


async def find_idempotent(
    session: AsyncSession, owner: str, key: str, now: datetime
) -> sa.Row[Any] | None:
    return (
        await session.execute(
            sa.select(IDEMPOTENCY).where(
                IDEMPOTENCY.c.owner == owner,
                IDEMPOTENCY.c.key == key,
                IDEMPOTENCY.c.expires_at > sa.literal(now, UTCDateTime()),
            )
        )
    ).first()


async def delete_expired_idempotency(session: AsyncSession, owner: str, key: str) -> None:
    await session.execute(
        sa.delete(IDEMPOTENCY).where(IDEMPOTENCY.c.owner == owner, IDEMPOTENCY.c.key == key)
    )


async def insert_idempotent(session: AsyncSession, record: IdempotencyRecord) -> None:
    session.add(record)
    await session.flush()


def activity_first_pages_statement(subject_ids: Sequence[str], first: int) -> sa.Select[Any]:
    """For each subject (a public user id), its newest `first` (+1) events as target or actor.

    One statement for any number of users: the two roles are unioned, tagged with the subject,
    and ranked per subject by a window function.
    """
    ids = list(subject_ids)
    columns = [AUDIT_EVENTS.c[name] for name in AUDIT_EVENT_MODEL_COLUMNS]
    as_target = sa.select(*columns, AUDIT_EVENTS.c.target_id.label("subject")).where(
        AUDIT_EVENTS.c.target_id.in_(ids)
    )
    as_actor = sa.select(*columns, AUDIT_EVENTS.c.actor_id.label("subject")).where(
        AUDIT_EVENTS.c.actor_id.in_(ids),
        sa.or_(
            AUDIT_EVENTS.c.target_id.is_(None), AUDIT_EVENTS.c.target_id != AUDIT_EVENTS.c.actor_id
        ),
    )
    tagged = sa.union_all(as_target, as_actor).subquery()
    rank = (
        sa.func.row_number()
        .over(partition_by=tagged.c.subject, order_by=tagged.c.seq.desc())
        .label("_rank")
    )
    ranked = sa.select(tagged, tagged.c.seq.label("_sort"), rank).subquery()
    return (
        sa.select(ranked)
        .where(ranked.c._rank <= first + 1)
        .order_by(ranked.c.subject, ranked.c._rank)
    )


AUDIT_EVENT_MODEL_COLUMNS = tuple(column.name for column in AUDIT_EVENT_MODEL.columns())


def activity_counts_statement(subject_ids: Sequence[str]) -> sa.Select[Any]:
    ids = list(subject_ids)
    as_target = sa.select(AUDIT_EVENTS.c.target_id.label("subject")).where(
        AUDIT_EVENTS.c.target_id.in_(ids)
    )
    as_actor = sa.select(AUDIT_EVENTS.c.actor_id.label("subject")).where(
        AUDIT_EVENTS.c.actor_id.in_(ids),
        sa.or_(
            AUDIT_EVENTS.c.target_id.is_(None), AUDIT_EVENTS.c.target_id != AUDIT_EVENTS.c.actor_id
        ),
    )
    tagged = sa.union_all(as_target, as_actor).subquery()
    return sa.select(tagged.c.subject, sa.func.count().label("count")).group_by(tagged.c.subject)
