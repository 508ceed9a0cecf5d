"""`metrics { … }` (master), `myOverview` (the caller's own customers), `exportUrl`."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import strawberry

from app.graphql.context import Info
from app.graphql.metrics.types import (
    BandwidthDay,
    CostCategory,
    CostDay,
    Costs,
    CostSource,
    CustomerEarnings,
    Funnel,
    FunnelPeriod,
    FunnelStep,
    MetricsOverview,
    MrrMovements,
    MyCustomerOverview,
    MyOverview,
    PlanRevenue,
    PredictionPoint,
    Predictions,
    PredictionScenario,
    RateLimitHeadroom,
    Revenue,
    RevenueDay,
    Runway,
)
from app.graphql.node import parse_id
from app.graphql.permissions import authenticated, master_only
from app.graphql.root import query
from app.kit import clock
from app.kit.errors import ErrorCode, RequestError, UserInputError
from app.kit.ids import encode
from app.kit.money import Money
from app.metrics import predictions as method
from app.metrics import repository, usage_source
from app.metrics.costs import month_costs
from app.metrics.exports import KINDS, signed_url
from app.metrics.periods import DateRange, checked_month, checked_range
from app.models.customers import Customer
from app.models.users import User
from app.runtime_settings import values

From = Annotated[
    date | None,
    strawberry.argument(name="from", description="Default: the 1st of this month (UTC)."),
]
To = Annotated[
    date | None, strawberry.argument(name="to", description="Default: the end of this month (UTC).")
]
MAX_HORIZON = 60


def _currency(info: Info) -> str:
    return info.context.settings.reporting_currency


def _money(info: Info, amount: int) -> Money:
    return Money(int(amount), _currency(info))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _percent(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 4) if whole else None


def _period(value: str | None) -> DateRange:
    """A `YYYY-MM` month, or a day range `YYYY-MM-DD..YYYY-MM-DD`."""
    if value is not None and ".." in value:
        start, _, end = value.partition("..")
        try:
            return checked_range(
                date.fromisoformat(start), date.fromisoformat(end), ("period", "period")
            )
        except ValueError:
            raise UserInputError(
                "Give a period as YYYY-MM or YYYY-MM-DD..YYYY-MM-DD.",
                ErrorCode.INVALID,
                "period",
            ) from None
    return checked_month(value)


def _days(info: Info, period: DateRange, found: dict[date, tuple[int, int]]) -> list[RevenueDay]:
    days = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        amount, count = found.get(day, (0, 0))
        days.append(RevenueDay(date=day, revenue=_money(info, amount), invoices_paid=count))
    return days


@strawberry.type(description="Figures about the whole business, each computed in SQL (master).")
class Metrics:
    @strawberry.field(
        description="Users, customers, subscriptions and money of a period: `YYYY-MM` or "
        "`YYYY-MM-DD..YYYY-MM-DD` (default: this month, UTC)."
    )
    async def overview(self, info: Info, period: str | None = None) -> MetricsOverview:
        chosen = _period(period)
        reader = info.context.reader
        found = await repository.overview(reader, chosen, _currency(info))
        return MetricsOverview(
            start_date=chosen.start,
            end_date=chosen.end,
            users_total=found.users_total,
            users_active=found.users_active,
            users_new=found.users_new,
            customers_total=found.customers_total,
            customers_active=found.customers_active,
            active_subscriptions=found.active_subscriptions,
            trialing_subscriptions=found.trialing_subscriptions,
            mrr=_money(info, found.mrr),
            arr=_money(info, found.mrr * 12),
            churn_rate=_ratio(found.churned, found.paying_at_start),
            trial_conversion=_ratio(found.trials_converted, found.trials_ended),
            unread_feedback=found.unread_feedback,
            usage_this_period=await usage_source.usage_this_period(reader, chosen),
        )

    @strawberry.field(description="Revenue, MRR movements and margins of a range (≤ 366 days).")
    async def revenue(self, info: Info, from_: From = None, to: To = None) -> Revenue:
        chosen = checked_range(from_, to)
        reader, currency = info.context.reader, _currency(info)
        mrr = await repository.current_mrr(reader, currency)
        moved = await repository.movements(reader, chosen, currency)
        plans = await repository.by_plan(reader, chosen, currency)
        totals = await repository.money(reader, chosen, currency)
        days = await repository.revenue_by_day(reader, chosen, currency)
        costs, source = totals.costs, CostSource.LIVE
        if not totals.cost_entries:
            # No entries recorded for the range: the cost model's figure, as `costs` does.
            modeled = await usage_source.modeled_costs(reader, chosen, currency)
            costs, source = sum(item.amount for item in modeled), CostSource.MODELED
        margin = totals.revenue - costs
        net = moved.new + moved.expansion + moved.reactivation - moved.contraction - moved.churned
        return Revenue(
            start_date=chosen.start,
            end_date=chosen.end,
            mrr=_money(info, mrr),
            arr=_money(info, mrr * 12),
            mrr_by_plan=[
                PlanRevenue(
                    plan_code=plan.code,
                    plan_name=plan.name,
                    subscribers=plan.subscribers,
                    mrr=_money(info, plan.mrr),
                    revenue=_money(info, plan.revenue),
                    costs=_money(info, plan.costs),
                    gross_margin=_money(info, plan.revenue - plan.costs),
                    gross_margin_percent=_percent(plan.revenue - plan.costs, plan.revenue),
                )
                for plan in plans
            ],
            movements=MrrMovements(
                new=_money(info, moved.new),
                expansion=_money(info, moved.expansion),
                contraction=_money(info, moved.contraction),
                churned=_money(info, moved.churned),
                reactivation=_money(info, moved.reactivation),
                net=_money(info, net),
                new_customers=moved.new_customers,
                churned_customers=moved.churned_customers,
                reactivated_customers=moved.reactivated_customers,
            ),
            revenue=_money(info, totals.revenue),
            costs=_money(info, costs),
            costs_source=source,
            gross_margin=_money(info, margin),
            gross_margin_percent=_percent(margin, totals.revenue),
            refunds=_money(info, totals.refunds),
            credit_notes_to_balance=_money(info, totals.credit_notes_to_balance),
            credits_granted=_money(info, totals.credits_granted),
            by_day=_days(info, chosen, days),
        )

    @strawberry.field(description="What one customer (by id or slug) earned in a period.")
    async def customer_earnings(
        self,
        info: Info,
        customer_id: strawberry.ID | None = None,
        slug: str | None = None,
        period: str | None = None,
    ) -> CustomerEarnings | None:
        if (customer_id is None) == (slug is None):
            raise RequestError(
                "Give `customerId` or `slug`, one of them.", ErrorCode.BAD_USER_INPUT
            )
        uuid_ = parse_id(customer_id, Customer.PREFIX, "customerId") if customer_id else None
        chosen = _period(period)
        reader, currency = info.context.reader, _currency(info)
        found = await repository.customer_by(reader, uuid_, slug)
        if found is None:
            return None
        pk, found_slug, name = found
        totals = await repository.money(reader, chosen, currency, customer_id=pk)
        return CustomerEarnings(
            customer_id=strawberry.ID(encode(Customer.PREFIX, pk)),
            slug=found_slug,
            name=name,
            start_date=chosen.start,
            end_date=chosen.end,
            revenue=_money(info, totals.revenue),
            lifetime_revenue=_money(info, await repository.lifetime_revenue(reader, currency, pk)),
            mrr=_money(info, await repository.current_mrr(reader, currency, pk)),
            refunds=_money(info, totals.refunds),
            credits_granted=_money(info, totals.credits_granted),
            by_day=_days(
                info, chosen, await repository.revenue_by_day(reader, chosen, currency, pk)
            ),
        )

    @strawberry.field(
        description="Bytes moved per UTC day over [from, to] (inclusive, at most 366 days; "
        "default this month), every day of the range listed: the daily rollups' quantities of "
        "the SUM metrics whose unit is `bytes` (also `byte` or `B`, any case), added across "
        "customers, projects and metrics. A MAX metric in bytes is a level (storage held), not "
        "traffic, and is left out."
    )
    async def bandwidth_daily(
        self, info: Info, from_: From = None, to: To = None
    ) -> list[BandwidthDay]:
        chosen = checked_range(from_, to)
        found = await usage_source.bandwidth_by_day(info.context.reader, chosen)
        days = (chosen.start + timedelta(days=offset) for offset in range(chosen.days))
        return [BandwidthDay(date=day, bytes=float(found.get(day, 0))) for day in days]

    @strawberry.field(
        description="A month's costs (`YYYY-MM`, default this one): live from cost entries, "
        "modeled from usage × unit costs when the month has none; cached 10 minutes."
    )
    async def costs(self, info: Info, period: str | None = None) -> Costs:
        chosen = checked_month(period)
        settings = info.context.settings
        found = await month_costs(
            info.context.reader, chosen, settings.reporting_currency, settings.redis_url
        )
        return _costs(info, chosen, found)

    @strawberry.field(
        description="Signup → activated → trial → paid for a range, and for the range of the "
        "same length just before it."
    )
    async def funnel(self, info: Info, from_: From = None, to: To = None) -> Funnel:
        chosen = checked_range(from_, to)
        reader = info.context.reader
        return Funnel(
            current=_funnel(chosen, await repository.funnel(reader, chosen)),
            previous=_funnel(chosen.previous(), await repository.funnel(reader, chosen.previous())),
        )

    @strawberry.field(
        description="Users, paying customers and MRR for the coming months in three scenarios, "
        "cash runway and rate-limit headroom; the method is in the Predictions type's "
        "description."
    )
    async def predictions(self, info: Info, horizon_months: int = 12) -> Predictions:
        if not 1 <= horizon_months <= MAX_HORIZON:
            raise UserInputError(
                f"`horizonMonths` is between 1 and {MAX_HORIZON}.",
                ErrorCode.INVALID,
                "horizonMonths",
            )
        return await _predictions(info, horizon_months)


def _costs(info: Info, period: DateRange, found: dict[str, Any]) -> Costs:
    return Costs(
        period=period.start.isoformat()[:7],
        source=CostSource(found["source"]),
        confidence=found["confidence"],
        fetched_at=datetime.fromisoformat(found["fetchedAt"]),
        cache_age_ms=found["cacheAgeMs"],
        fallback_reason=found["fallbackReason"],
        total=_money(info, found["total"]),
        by_category=[
            CostCategory(category=name, amount=_money(info, amount))
            for name, amount in found["byCategory"]
        ],
        by_day=[
            CostDay(date=date.fromisoformat(day), amount=_money(info, amount))
            for day, amount in found["byDay"]
        ],
    )


def _funnel(period: DateRange, found: repository.Funnel) -> FunnelPeriod:
    counts = [
        ("SIGNUP", found.signups),
        ("ACTIVATED", found.activated),
        ("TRIAL", found.trial),
        ("PAID", found.paid),
    ]
    steps = []
    previous: int | None = None
    for name, count in counts:
        conversion = None if not previous else round(count / previous, 6)
        steps.append(FunnelStep(name=name, count=count, conversion=conversion))
        previous = count
    return FunnelPeriod(start_date=period.start, end_date=period.end, steps=steps)


async def _predictions(info: Info, horizon: int) -> Predictions:
    reader, currency = info.context.reader, _currency(info)
    today = clock.now().date()
    window = DateRange(today - timedelta(days=method.WINDOW_DAYS - 1), today)
    grown = await repository.growth(reader, window, currency)
    moved = await repository.movements(reader, window, currency)
    users_change = grown.users_new - grown.users_deleted
    users_rate = method.monthly_rate(users_change, grown.users_now - users_change)
    gained = moved.new_customers + moved.reactivated_customers
    paying_start = grown.paying_now - gained + moved.churned_customers
    paying = method.Rates(
        gain=method.monthly_rate(gained, paying_start),
        churn=method.monthly_rate(moved.churned_customers, paying_start),
    )
    net = moved.new + moved.expansion + moved.reactivation - moved.contraction - moved.churned
    mrr_rate = method.monthly_rate(net, grown.mrr_now - net)
    scenarios = []
    for name, (growth_factor, churn_factor) in method.SCENARIOS.items():
        users = method.project(grown.users_now, method.split(users_rate), name, horizon)
        customers = method.project(grown.paying_now, paying, name, horizon)
        mrr = method.project(grown.mrr_now, method.split(mrr_rate), name, horizon)
        scenarios.append(
            PredictionScenario(
                name=name,
                growth_factor=growth_factor,
                churn_factor=churn_factor,
                months=[
                    PredictionPoint(
                        month=method.month_label(today, n + 1),
                        users=users[n],
                        paying_customers=customers[n],
                        mrr=_money(info, mrr[n]),
                    )
                    for n in range(horizon)
                ],
            )
        )
    balance = await values.cash_balance(info.context.db, info.context.settings)
    runway = method.runway(balance, grown.costs, grown.revenue, today)
    peak = await usage_source.peak_requests_per_second(reader, window)
    return Predictions(
        horizon_months=horizon,
        observed_from=window.start,
        observed_to=window.end,
        users_monthly_growth=round(users_rate, 6),
        paying_monthly_gain=round(paying.gain, 6),
        paying_monthly_churn=round(paying.churn, 6),
        mrr_monthly_net_growth=round(mrr_rate, 6),
        scenarios=scenarios,
        runway=Runway(
            cash_balance=_money(info, balance),
            monthly_net_burn=_money(info, runway.monthly_burn),
            months=None if runway.months is None else round(runway.months, 2),
            runs_out_on=runway.runs_out_on,
        ),
        rate_limit_headroom=RateLimitHeadroom(
            plan_limit_total=grown.rate_limit_total,
            highest_plan_limit=grown.rate_limit_peak_plan,
            peak_requests_per_second=peak,
            headroom=None if peak is None else grown.rate_limit_total - peak,
        ),
    )


@query(master_only, "Figures about the whole business (master only).")
def metrics(info: Info) -> Metrics | None:
    return Metrics()


@query(
    authenticated,
    "The caller's own customers (OWNER or ADMIN) at a glance: keys, members, open invoices, "
    "usage against quota; empty for a master key.",
)
async def my_overview(info: Info) -> MyOverview:
    principal = info.context.require_principal()
    scope = principal.row_scope
    if scope.customer_ids is None:
        # A master sees every customer elsewhere; "my" customers are a session's own.
        ids: frozenset[Any] = frozenset()
    else:
        ids = scope.customer_ids
    if not ids:
        return MyOverview(customers=[])
    reader = info.context.reader
    month = checked_month(None)
    rows = await repository.own_customers(reader, ids)
    usage = await usage_source.customer_usage(reader, [row.customer_id for row in rows], month)
    return MyOverview(
        customers=[
            MyCustomerOverview(
                customer_id=strawberry.ID(encode(Customer.PREFIX, row.customer_id)),
                slug=row.slug,
                name=row.name,
                active_keys=row.active_keys,
                members=row.members,
                open_invoices=row.open_invoices,
                amount_due=_money(info, row.amount_due),
                usage_this_month=usage.get(row.customer_id, 0),
                monthly_quota=row.monthly_quota,
                licenses=row.licenses,
            )
            for row in rows
        ]
    )


@strawberry.enum(description="What an export holds.")
class ExportKind(enum.Enum):
    REVENUE = "revenue"
    CUSTOMERS = "customers"
    TAX = "tax"
    AUDIT = "audit"
    USAGE = "usage"


@query(
    authenticated,
    "A link to download an export as CSV without an Authorization header, valid 5 minutes. "
    "Master only, but for USAGE: a session admin's usage link downloads the usage of the "
    "customers they administer when it is fetched.",
)
def export_url(
    info: Info, kind: ExportKind, start_date: date | None = None, end_date: date | None = None
) -> str | None:
    principal = info.context.require_principal()
    user: str | None = None
    if not principal.is_master:
        if kind is not ExportKind.USAGE or principal.row_scope.user_id is None:
            raise RequestError(
                "Only a master admin may export this; a session admin may export USAGE.",
                ErrorCode.FORBIDDEN,
            )
        # The link carries who asked, never a list of customers: fetched, it is scoped to
        # what that user administers then.
        user = encode(User.PREFIX, principal.row_scope.user_id)
    chosen = checked_range(start_date, end_date, ("startDate", "endDate"))
    assert kind.value in (*KINDS, ExportKind.USAGE.value)
    return signed_url(
        info.context.settings.public_url, info.context.runtime.secret_key, kind.value, chosen, user
    )
