"""The SQL of every figure: each function runs a constant number of aggregate statements and
returns numbers (never rows to add up in Python)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from app.db import Reader
from app.kit.sql import utc_date
from app.metrics.periods import DateRange
from app.metrics.sql import (
    CHANGES,
    COSTS,
    CREDIT_NOTES,
    CREDITS,
    CUSTOMERS,
    FEEDBACK,
    INVOICES,
    MEMBERSHIPS,
    PAID,
    PAYING,
    PLAN_VERSIONS,
    PLANS,
    SESSIONS,
    SUBSCRIPTIONS,
    USERS,
    coalesce_sum,
    net_revenue,
    subscription_mrr,
)
from app.models.keys import ApiKey
from app.models.licenses import License

API_KEYS = ApiKey.__table__  # type: ignore[attr-defined]
LICENSES = License.__table__  # type: ignore[attr-defined]


async def _rows(reader: Reader, statement: sa.Executable) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await reader.all(statement)]


async def _one(reader: Reader, statement: sa.Executable) -> tuple[Any, ...]:
    return (await _rows(reader, statement))[0]


def _in(column: Any, period: DateRange) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.start_at, column < period.end_before)


# ---------------------------------------------------------------- overview


@dataclass(frozen=True, slots=True)
class Overview:
    users_total: int
    users_active: int
    users_new: int
    customers_total: int
    customers_active: int
    active_subscriptions: int
    trialing_subscriptions: int
    mrr: int
    paying_at_start: int
    churned: int
    trials_ended: int
    trials_converted: int
    unread_feedback: int


async def overview(reader: Reader, period: DateRange, currency: str) -> Overview:
    u, s, c, sub, ch = USERS.c, SESSIONS.c, CUSTOMERS.c, SUBSCRIPTIONS.c, CHANGES.c
    alive = sa.and_(u.deleted_at.is_(None), u.created_at < period.end_before)
    active_users = (
        sa.select(sa.func.count(sa.distinct(s.user_id)))
        .where(
            s.kind == "LOGIN",
            s.created_at < period.end_before,
            s.last_seen_at >= period.start_at,
        )
        .scalar_subquery()
    )
    users = sa.select(
        sa.func.count().filter(alive),
        sa.func.count().filter(alive, _in(u.created_at, period)),
        active_users,
    ).select_from(USERS)
    customers = sa.select(
        sa.func.count().filter(c.created_at < period.end_before),
        sa.func.count().filter(c.created_at < period.end_before, c.status == "ACTIVE"),
    ).select_from(CUSTOMERS)
    subscriptions = sa.select(
        sa.func.count().filter(sub.status.in_(PAYING)),
        sa.func.count().filter(sub.status == "TRIALING"),
        coalesce_sum(sa.case((sub.currency == currency, subscription_mrr()), else_=0)),
    ).select_from(SUBSCRIPTIONS)
    changes = sa.select(
        sa.func.count().filter(_in(ch.occurred_at, period), ch.mrr_before > 0, ch.mrr_after == 0),
        sa.func.count().filter(
            _in(ch.occurred_at, period),
            ch.status_before == "TRIALING",
            ch.status_after != "TRIALING",
        ),
        sa.func.count().filter(
            _in(ch.occurred_at, period),
            ch.status_before == "TRIALING",
            ch.status_after.in_(PAYING),
        ),
    ).select_from(CHANGES)
    feedback = sa.select(sa.func.count().label("feedback")).select_from(FEEDBACK)
    latest = _latest_before(period.start_at)
    paying = sa.select(sa.func.count(sa.distinct(latest.c.customer_id))).where(
        latest.c.rank == 1, latest.c.mrr_after > 0
    )
    # One round trip: each part is a one-row subquery, so their cross join is one row.
    parts = [users, customers, subscriptions, changes, feedback, paying]
    subqueries = [part.subquery() for part in parts]
    joined: sa.FromClause = subqueries[0]
    for subquery in subqueries[1:]:
        joined = joined.join(subquery, sa.true())
    columns = [column for subquery in subqueries for column in subquery.c]
    row = await _one(reader, sa.select(*columns).select_from(joined))
    (users_total, users_new, users_active, customers_total, customers_active) = row[:5]
    (active, trialing, mrr, churned, ended, converted, unread, paying_start) = row[5:]
    return Overview(
        users_total=int(users_total),
        users_active=int(users_active or 0),
        users_new=int(users_new),
        customers_total=int(customers_total),
        customers_active=int(customers_active),
        active_subscriptions=int(active),
        trialing_subscriptions=int(trialing),
        mrr=int(mrr),
        paying_at_start=int(paying_start),
        churned=int(churned),
        trials_ended=int(ended),
        trials_converted=int(converted),
        unread_feedback=int(unread),
    )


def _latest_before(at: datetime) -> sa.Subquery:
    """Each subscription's last change before `at` (the state it was in at that instant): one
    pass with a window function, on both engines."""
    ch = CHANGES.c
    ranked = sa.select(
        ch.customer_id,
        ch.mrr_after,
        ch.currency,
        sa.func.row_number()
        .over(partition_by=ch.subscription_id, order_by=(ch.occurred_at.desc(), ch.id.desc()))
        .label("rank"),
    ).where(ch.occurred_at < at)
    return ranked.subquery()


async def paying_at(reader: Reader, at: datetime) -> int:
    """Customers paying at an instant, from the subscription history."""
    latest = _latest_before(at)
    statement = sa.select(sa.func.count(sa.distinct(latest.c.customer_id))).where(
        latest.c.rank == 1, latest.c.mrr_after > 0
    )
    return int(await reader.scalar(statement) or 0)


async def mrr_at(reader: Reader, at: datetime, currency: str) -> int:
    latest = _latest_before(at)
    statement = sa.select(coalesce_sum(latest.c.mrr_after)).where(
        latest.c.rank == 1, latest.c.currency == currency
    )
    return int(await reader.scalar(statement) or 0)


# ---------------------------------------------------------------- revenue


@dataclass(frozen=True, slots=True)
class Movements:
    new: int
    expansion: int
    contraction: int
    churned: int
    reactivation: int
    new_customers: int
    churned_customers: int
    reactivated_customers: int


async def movements(reader: Reader, period: DateRange, currency: str) -> Movements:
    """MRR movements of the changes in the period (one live subscription per customer, so a
    subscription's change is its customer's)."""
    ch = CHANGES.c
    earlier = CHANGES.alias("earlier")
    paid_before = sa.exists().where(
        earlier.c.customer_id == ch.customer_id,
        earlier.c.mrr_after > 0,
        sa.or_(
            earlier.c.occurred_at < ch.occurred_at,
            sa.and_(earlier.c.occurred_at == ch.occurred_at, earlier.c.id < ch.id),
        ),
    )
    starts = sa.and_(ch.mrr_before == 0, ch.mrr_after > 0)
    is_new = sa.and_(starts, ~paid_before)
    is_reactivation = sa.and_(starts, paid_before)
    expands = sa.and_(ch.mrr_before > 0, ch.mrr_after > ch.mrr_before)
    contracts = sa.and_(ch.mrr_before > 0, ch.mrr_after > 0, ch.mrr_after < ch.mrr_before)
    churns = sa.and_(ch.mrr_before > 0, ch.mrr_after == 0)
    statement = sa.select(
        coalesce_sum(sa.case((is_new, ch.mrr_after), else_=0)),
        coalesce_sum(sa.case((expands, ch.mrr_after - ch.mrr_before), else_=0)),
        coalesce_sum(sa.case((contracts, ch.mrr_before - ch.mrr_after), else_=0)),
        coalesce_sum(sa.case((churns, ch.mrr_before), else_=0)),
        coalesce_sum(sa.case((is_reactivation, ch.mrr_after), else_=0)),
        sa.func.count(sa.distinct(sa.case((is_new, ch.customer_id)))),
        sa.func.count(sa.distinct(sa.case((churns, ch.customer_id)))),
        sa.func.count(sa.distinct(sa.case((is_reactivation, ch.customer_id)))),
    ).where(_in(ch.occurred_at, period), ch.currency == currency)
    row = await _one(reader, statement)
    return Movements(*(int(value) for value in row))


@dataclass(frozen=True, slots=True)
class PlanRevenue:
    plan_id: uuid.UUID
    code: str
    name: str
    subscribers: int
    mrr: int
    revenue: int
    costs: int


async def by_plan(reader: Reader, period: DateRange, currency: str) -> list[PlanRevenue]:
    """Per plan: paying subscribers and MRR now; revenue of the period's paid invoices of its
    subscriptions and the costs attributed to it."""
    p, sub, inv, cost = PLANS.c, SUBSCRIPTIONS.c, INVOICES.c, COSTS.c
    subscribers = (
        sa.select(
            sub.plan_id.label("plan_id"),
            sa.func.count().label("subscribers"),
            coalesce_sum(subscription_mrr()).label("mrr"),
        )
        .where(sub.status.in_(PAYING), sub.currency == currency)
        .group_by(sub.plan_id)
        .subquery()
    )
    earned = (
        sa.select(sub.plan_id.label("plan_id"), coalesce_sum(net_revenue()).label("revenue"))
        .select_from(INVOICES.join(SUBSCRIPTIONS, sub.id == inv.subscription_id))
        .where(inv.status.in_(PAID), _in(inv.paid_at, period), inv.currency == currency)
        .group_by(sub.plan_id)
        .subquery()
    )
    spent = (
        sa.select(cost.plan_id.label("plan_id"), coalesce_sum(cost.amount).label("costs"))
        .where(
            cost.plan_id.is_not(None),
            cost.incurred_on >= period.start,
            cost.incurred_on <= period.end,
            cost.currency == currency,
        )
        .group_by(cost.plan_id)
        .subquery()
    )
    statement = (
        sa.select(
            p.id,
            p.code,
            p.name,
            sa.func.coalesce(subscribers.c.subscribers, 0),
            sa.func.coalesce(subscribers.c.mrr, 0),
            sa.func.coalesce(earned.c.revenue, 0),
            sa.func.coalesce(spent.c.costs, 0),
        )
        .select_from(
            PLANS.outerjoin(subscribers, subscribers.c.plan_id == p.id)
            .outerjoin(earned, earned.c.plan_id == p.id)
            .outerjoin(spent, spent.c.plan_id == p.id)
        )
        .where(
            sa.or_(
                subscribers.c.plan_id.is_not(None),
                earned.c.plan_id.is_not(None),
                spent.c.plan_id.is_not(None),
            )
        )
        .order_by(sa.func.coalesce(subscribers.c.mrr, 0).desc(), p.code)
    )
    return [
        PlanRevenue(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), int(row[6]))
        for row in await _rows(reader, statement)
    ]


@dataclass(frozen=True, slots=True)
class Money_:
    revenue: int
    refunds: int
    credit_notes_to_balance: int
    credits_granted: int
    costs: int
    cost_entries: int  # how many cost entries `costs` adds up (0: none recorded)


async def money(
    reader: Reader, period: DateRange, currency: str, customer_id: uuid.UUID | None = None
) -> Money_:
    inv, note, credit, cost = INVOICES.c, CREDIT_NOTES.c, CREDITS.c, COSTS.c

    def scoped(column: Any) -> list[sa.ColumnElement[bool]]:
        return [] if customer_id is None else [column == customer_id]

    revenue = sa.select(coalesce_sum(net_revenue())).where(
        inv.status.in_(PAID),
        _in(inv.paid_at, period),
        inv.currency == currency,
        *scoped(inv.customer_id),
    )
    notes = sa.select(
        coalesce_sum(sa.case((note.refund_to == "ORIGINAL_PAYMENT", note.amount), else_=0)),
        coalesce_sum(sa.case((note.refund_to == "CREDIT_BALANCE", note.amount), else_=0)),
    ).where(_in(note.created_at, period), note.currency == currency, *scoped(note.customer_id))
    granted = sa.select(coalesce_sum(credit.amount)).where(
        credit.kind == "GRANT",
        _in(credit.created_at, period),
        credit.currency == currency,
        *scoped(credit.customer_id),
    )
    costs = sa.select(coalesce_sum(cost.amount), sa.func.count()).where(
        cost.incurred_on >= period.start, cost.incurred_on <= period.end, cost.currency == currency
    )
    refunds, to_balance = await _one(reader, notes)
    spent, entries = (0, 0) if customer_id is not None else await _one(reader, costs)
    return Money_(
        revenue=int(await reader.scalar(revenue) or 0),
        refunds=int(refunds),
        credit_notes_to_balance=int(to_balance),
        credits_granted=int(await reader.scalar(granted) or 0),
        costs=int(spent),
        cost_entries=int(entries),
    )


async def revenue_by_day(
    reader: Reader, period: DateRange, currency: str, customer_id: uuid.UUID | None = None
) -> dict[date, tuple[int, int]]:
    """Per day: net revenue and paid invoices."""
    inv = INVOICES.c
    day = utc_date(inv.paid_at).label("day")
    statement = (
        sa.select(day, coalesce_sum(net_revenue()), sa.func.count())
        .where(inv.status.in_(PAID), _in(inv.paid_at, period), inv.currency == currency)
        .group_by(day)
    )
    if customer_id is not None:
        statement = statement.where(inv.customer_id == customer_id)
    return {_day(row[0]): (int(row[1]), int(row[2])) for row in await _rows(reader, statement)}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def current_mrr(reader: Reader, currency: str, customer_id: uuid.UUID | None = None) -> int:
    sub = SUBSCRIPTIONS.c
    statement = sa.select(coalesce_sum(subscription_mrr())).where(sub.currency == currency)
    if customer_id is not None:
        statement = statement.where(sub.customer_id == customer_id)
    return int(await reader.scalar(statement) or 0)


async def lifetime_revenue(reader: Reader, currency: str, customer_id: uuid.UUID) -> int:
    inv = INVOICES.c
    statement = sa.select(coalesce_sum(net_revenue())).where(
        inv.status.in_(PAID), inv.currency == currency, inv.customer_id == customer_id
    )
    return int(await reader.scalar(statement) or 0)


async def customer_by(
    reader: Reader, customer_id: uuid.UUID | None, slug: str | None
) -> tuple[uuid.UUID, str, str] | None:
    c = CUSTOMERS.c
    statement = sa.select(c.id, c.slug, c.name)
    statement = statement.where(c.id == customer_id if customer_id is not None else c.slug == slug)
    rows = await _rows(reader, statement)
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


# ---------------------------------------------------------------- costs


async def live_costs(
    reader: Reader, period: DateRange, currency: str
) -> tuple[dict[str, int], dict[date, int], int]:
    """Cost entries of the period by category and by day, and how many there are."""
    cost = COSTS.c
    within = [
        cost.incurred_on >= period.start,
        cost.incurred_on <= period.end,
        cost.currency == currency,
    ]
    categories = (
        sa.select(cost.category, coalesce_sum(cost.amount))
        .where(*within)
        .group_by(cost.category)
        .order_by(cost.category)
    )
    days = (
        sa.select(cost.incurred_on, coalesce_sum(cost.amount), sa.func.count())
        .where(*within)
        .group_by(cost.incurred_on)
        .order_by(cost.incurred_on)
    )
    by_category = {row[0]: int(row[1]) for row in await _rows(reader, categories)}
    by_day_rows = await _rows(reader, days)
    by_day = {_day(row[0]): int(row[1]) for row in by_day_rows}
    return by_category, by_day, sum(int(row[2]) for row in by_day_rows)


# ---------------------------------------------------------------- funnel


@dataclass(frozen=True, slots=True)
class Funnel:
    signups: int
    activated: int
    trial: int
    paid: int


async def funnel(reader: Reader, period: DateRange) -> Funnel:
    """Of the users who signed up in the period, those who reached each step or a later one."""
    u, s, m, sub, ch = USERS.c, SESSIONS.c, MEMBERSHIPS.c, SUBSCRIPTIONS.c, CHANGES.c
    logged_in = sa.exists().where(s.user_id == u.id, s.kind == "LOGIN")
    trialed = sa.exists().where(
        m.user_id == u.id, sub.customer_id == m.customer_id, sub.trial_start.is_not(None)
    )
    paid = sa.or_(
        sa.exists().where(
            m.user_id == u.id, sub.customer_id == m.customer_id, sub.status.in_(PAYING)
        ),
        sa.exists().where(m.user_id == u.id, ch.customer_id == m.customer_id, ch.mrr_after > 0),
    )
    reached_trial = sa.or_(trialed, paid)
    reached_activation = sa.or_(logged_in, reached_trial)
    statement = sa.select(
        sa.func.count(),
        sa.func.count().filter(reached_activation),
        sa.func.count().filter(reached_trial),
        sa.func.count().filter(paid),
    ).where(_in(u.created_at, period), u.deleted_at.is_(None))
    row = await _one(reader, statement)
    return Funnel(*(int(value) for value in row))


# ---------------------------------------------------------------- predictions


@dataclass(frozen=True, slots=True)
class Growth:
    users_now: int
    users_new: int
    users_deleted: int
    paying_now: int
    mrr_now: int
    revenue: int
    costs: int
    rate_limit_total: int
    rate_limit_peak_plan: int


async def growth(reader: Reader, window: DateRange, currency: str) -> Growth:
    """What the predictions start from: the counts now and what happened over `window`."""
    u, sub, pv = USERS.c, SUBSCRIPTIONS.c, PLAN_VERSIONS.c
    users = sa.select(
        sa.func.count().filter(u.deleted_at.is_(None)),
        sa.func.count().filter(_in(u.created_at, window)),
        sa.func.count().filter(_in(u.deleted_at, window)),
    ).select_from(USERS)
    paying = sa.select(
        sa.func.count(sa.distinct(sa.case((sub.status.in_(PAYING), sub.customer_id)))),
        coalesce_sum(sa.case((sub.currency == currency, subscription_mrr()), else_=0)),
    ).select_from(SUBSCRIPTIONS)
    limits = (
        sa.select(
            coalesce_sum(pv.rate_per_second), sa.func.coalesce(sa.func.max(pv.rate_per_second), 0)
        )
        .select_from(SUBSCRIPTIONS.join(PLAN_VERSIONS, pv.id == sub.plan_version_id))
        .where(sub.status != "CANCELED")
    )
    users_now, users_new, users_deleted = await _one(reader, users)
    paying_now, mrr_now = await _one(reader, paying)
    limit_total, limit_peak = await _one(reader, limits)
    spent = await money(reader, window, currency)
    return Growth(
        users_now=int(users_now),
        users_new=int(users_new),
        users_deleted=int(users_deleted),
        paying_now=int(paying_now),
        mrr_now=int(mrr_now),
        revenue=spent.revenue,
        costs=spent.costs,
        rate_limit_total=int(limit_total),
        rate_limit_peak_plan=int(limit_peak),
    )


# ---------------------------------------------------------------- the session admin's own


@dataclass(frozen=True, slots=True)
class OwnCustomer:
    customer_id: uuid.UUID
    slug: str
    name: str
    active_keys: int
    members: int
    open_invoices: int
    amount_due: int
    monthly_quota: int | None
    licenses: int


async def own_customers(reader: Reader, customer_ids: frozenset[uuid.UUID]) -> list[OwnCustomer]:
    """One statement: each customer with its counts as correlated subqueries."""
    keys = API_KEYS.c
    c, m, inv, sub, pv = CUSTOMERS.c, MEMBERSHIPS.c, INVOICES.c, SUBSCRIPTIONS.c, PLAN_VERSIONS.c
    active_keys = (
        sa.select(sa.func.count())
        .where(keys.customer_id == c.id, keys.revoked_at.is_(None), keys.enabled.is_(True))
        .scalar_subquery()
    )
    members = sa.select(sa.func.count()).where(m.customer_id == c.id).scalar_subquery()
    licenses = (
        sa.select(sa.func.count())
        .where(LICENSES.c.customer_id == c.id, LICENSES.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    open_invoices = (
        sa.select(sa.func.count()).where(inv.customer_id == c.id, inv.status == "OPEN")
    ).scalar_subquery()
    due = (
        sa.select(coalesce_sum(inv.amount_due)).where(inv.customer_id == c.id, inv.status == "OPEN")
    ).scalar_subquery()
    quota = (
        sa.select(pv.monthly_quota)
        .select_from(SUBSCRIPTIONS.join(PLAN_VERSIONS, pv.id == sub.plan_version_id))
        .where(sub.customer_id == c.id, sub.status != "CANCELED")
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.select(c.id, c.slug, c.name, active_keys, members, open_invoices, due, quota, licenses)
        .where(c.id.in_(list(customer_ids)))
        .order_by(c.slug)
    )
    return [
        OwnCustomer(
            row[0],
            row[1],
            row[2],
            int(row[3]),
            int(row[4]),
            int(row[5]),
            int(row[6]),
            None if row[7] is None else int(row[7]),
            int(row[8]),
        )
        for row in await _rows(reader, statement)
    ]


async def logins_by_day(reader: Reader, user_id: uuid.UUID, period: DateRange) -> dict[date, int]:
    s = SESSIONS.c
    day = utc_date(s.created_at).label("day")
    statement = (
        sa.select(day, sa.func.count())
        .where(s.user_id == user_id, s.kind == "LOGIN", _in(s.created_at, period))
        .group_by(day)
    )
    return {_day(row[0]): int(row[1]) for row in await _rows(reader, statement)}
