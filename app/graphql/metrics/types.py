"""Types of the metrics: plain figures (no read model: every one is an SQL aggregate)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from app.kit.money import Money


@strawberry.enum(description="Where a cost figure comes from.")
class CostSource(enum.Enum):
    LIVE = "LIVE"
    MODELED = "MODELED"


@strawberry.type(description="Figures of a period (users, customers, subscriptions, money).")
class MetricsOverview:
    start_date: date
    end_date: date
    users_total: int = strawberry.field(
        description="Users not deleted who existed at the end of the period."
    )
    users_active: int = strawberry.field(
        description="Distinct users with a login session in use during the period."
    )
    users_new: int = strawberry.field(description="Users who signed up in the period.")
    customers_total: int = strawberry.field(description="Customers existing at the period's end.")
    customers_active: int = strawberry.field(description="Of those, the ACTIVE ones.")
    active_subscriptions: int = strawberry.field(description="Paying now (ACTIVE, PAST_DUE).")
    trialing_subscriptions: int = strawberry.field(description="TRIALING now.")
    mrr: Money = strawberry.field(
        description="Monthly recurring revenue now: each paying subscription's price per month "
        "(a yearly price's twelfth, rounded half to even), in the reporting currency."
    )
    arr: Money = strawberry.field(description="MRR × 12.")
    churn_rate: float = strawberry.field(
        description="Customers whose MRR went to zero in the period / customers paying at its "
        "start (from the subscription history); 0 when none paid at the start."
    )
    trial_conversion: float = strawberry.field(
        description="Trials that ended in the period by becoming paying / trials that ended in "
        "it (converted, canceled or otherwise); 0 when none ended."
    )
    unread_feedback: int = strawberry.field(
        description="Feedback messages not yet read; feedback has no read mark yet, so this is "
        "every feedback message."
    )
    usage_this_period: int = strawberry.field(
        description="Usage events of every customer rolled up in the period (counted as "
        "monthly quotas count them)."
    )


@strawberry.type(description="A plan's share of revenue.")
class PlanRevenue:
    plan_code: str
    plan_name: str
    subscribers: int = strawberry.field(description="Paying subscriptions now.")
    mrr: Money = strawberry.field(description="Their MRR now.")
    revenue: Money = strawberry.field(
        description="Net revenue (total − tax) of the range's paid invoices of the plan's "
        "subscriptions."
    )
    costs: Money = strawberry.field(description="Cost entries of the range attributed to it.")
    gross_margin: Money = strawberry.field(description="Revenue − costs.")
    gross_margin_percent: float | None = strawberry.field(
        description="Gross margin / revenue × 100; null without revenue."
    )


@strawberry.type(description="MRR movements of a range, from the subscription history.")
class MrrMovements:
    new: Money = strawberry.field(
        description="MRR of customers who started paying for the first time."
    )
    expansion: Money = strawberry.field(description="Increases of paying customers' MRR.")
    contraction: Money = strawberry.field(
        description="Decreases of paying customers' MRR that stayed above zero."
    )
    churned: Money = strawberry.field(description="MRR of customers whose MRR went to zero.")
    reactivation: Money = strawberry.field(
        description="MRR of customers who paid before, stopped, and started again."
    )
    net: Money = strawberry.field(
        description="New + expansion + reactivation − contraction − churned."
    )
    new_customers: int
    churned_customers: int
    reactivated_customers: int


@strawberry.type(description="One day's bandwidth (UTC days).")
class BandwidthDay:
    date: date
    bytes: float = strawberry.field(
        description="Bytes moved that day (a Float: a day's total may pass 2³¹)."
    )


@strawberry.type(description="One day of revenue.")
class RevenueDay:
    date: date
    revenue: Money
    invoices_paid: int


@strawberry.type(description="Revenue of a range (MRR figures are as of now).")
class Revenue:
    start_date: date
    end_date: date
    mrr: Money
    arr: Money
    mrr_by_plan: list[PlanRevenue] = strawberry.field(
        description="Plans with paying subscribers, revenue or costs; by MRR, largest first."
    )
    movements: MrrMovements
    revenue: Money = strawberry.field(
        description="Net revenue (total − tax) of invoices paid in the range."
    )
    costs: Money = strawberry.field(
        description="The cost entries of the range (`costsSource` LIVE); when the range has "
        "none, the modeled costs: each day's usage × the metrics' unit costs (MODELED), as "
        "`costs(period)` models a month."
    )
    costs_source: CostSource = strawberry.field(
        description="Where `costs`, and so `grossMargin`, come from."
    )
    gross_margin: Money = strawberry.field(
        description="Revenue − costs (`costsSource` says which costs). By plan, only cost "
        "entries attributed to a plan count: modeled costs belong to no plan."
    )
    gross_margin_percent: float | None = strawberry.field(
        description="Gross margin / revenue × 100; null without revenue."
    )
    refunds: Money = strawberry.field(
        description="Credit notes of the range refunded to the original payment."
    )
    credit_notes_to_balance: Money = strawberry.field(
        description="Credit notes of the range given as credit balance."
    )
    credits_granted: Money = strawberry.field(description="Credit granted in the range.")
    by_day: list[RevenueDay] = strawberry.field(
        description="Every day of the range, zero on days without paid invoices."
    )


@strawberry.type(description="What one customer earned the business.")
class CustomerEarnings:
    customer_id: strawberry.ID
    slug: str
    name: str
    start_date: date
    end_date: date
    revenue: Money = strawberry.field(description="Net revenue of its invoices paid in the period.")
    lifetime_revenue: Money = strawberry.field(description="Net revenue of all its paid invoices.")
    mrr: Money = strawberry.field(description="Its MRR now.")
    refunds: Money
    credits_granted: Money
    by_day: list[RevenueDay]


@strawberry.type(description="Cost of a category.")
class CostCategory:
    category: str
    amount: Money


@strawberry.type(description="Cost of a day.")
class CostDay:
    date: date
    amount: Money


@strawberry.type(description="A month's costs, live or modeled, with how fresh they are.")
class Costs:
    period: str
    source: CostSource = strawberry.field(
        description="LIVE: recorded cost entries; MODELED: the month has none, so the daily "
        "usage rollups × each metric's unit cost (per million units, in this currency), by "
        "metric code as the category; a MAX metric's daily level counts once a day."
    )
    confidence: float = strawberry.field(
        description="1 for live entries, 0.5 for a model from usage, 0 with nothing to model."
    )
    fetched_at: datetime = strawberry.field(description="When the figures were computed.")
    cache_age_ms: int = strawberry.field(
        description="How old this answer is (cached 10 minutes; dropped when a cost is written)."
    )
    fallback_reason: str | None = strawberry.field(description="Why the figures are modeled.")
    total: Money
    by_category: list[CostCategory]
    by_day: list[CostDay] = strawberry.field(
        description="Days with live entries, or with modeled usage (each day and metric "
        "rounded half up once, so the days add up to the total)."
    )


@strawberry.type(description="One step of the funnel.")
class FunnelStep:
    name: str
    count: int
    conversion: float | None = strawberry.field(
        description="count / the previous step's count (null for the first step or from zero)."
    )


@strawberry.type(description="Signup → activated → trial → paid of one range.")
class FunnelPeriod:
    start_date: date
    end_date: date
    steps: list[FunnelStep] = strawberry.field(
        description="Of the users who signed up in the range (not deleted): SIGNUP all of "
        "them; ACTIVATED those who logged in or reached a later step; TRIAL those who belong "
        "to a customer that trialed or pays; PAID those who belong to a customer that pays "
        "or paid (each step is within the one before)."
    )


@strawberry.type(description="The funnel of a range and of the range of the same length before.")
class Funnel:
    current: FunnelPeriod
    previous: FunnelPeriod


@strawberry.type(description="One month of a projection.")
class PredictionPoint:
    month: str
    users: int
    paying_customers: int
    mrr: Money


@strawberry.type(description="A projection under one set of assumptions.")
class PredictionScenario:
    name: str = strawberry.field(description="CONSERVATIVE, REALISTIC or OPTIMISTIC.")
    growth_factor: float = strawberry.field(description="What observed growth is multiplied by.")
    churn_factor: float = strawberry.field(description="What observed churn is multiplied by.")
    months: list[PredictionPoint]


@strawberry.type(description="How long the cash lasts.")
class Runway:
    cash_balance: Money = strawberry.field(
        description="The runtime setting cashBalance (default: ADMIRAL_CASH_BALANCE)."
    )
    monthly_net_burn: Money = strawberry.field(
        description="(Costs − revenue) of the last 90 days / 3; negative when earning more."
    )
    months: float | None = strawberry.field(
        description="Balance / burn; null when nothing is burned."
    )
    runs_out_on: date | None = strawberry.field(
        description="Today + months × 30.44 days; null without a burn."
    )


@strawberry.type(description="Request-rate limits of the live subscriptions against traffic.")
class RateLimitHeadroom:
    plan_limit_total: int = strawberry.field(
        description="Sum of the requests/s limits of every live subscription's plan version "
        "(the most the customers may send together)."
    )
    highest_plan_limit: int = strawberry.field(description="The largest single limit.")
    peak_requests_per_second: float | None = strawberry.field(
        description="The busiest hour of the last 90 days: every customer's usage events of "
        "that hour (the hourly rollups) / 3600; null when no usage was rolled up."
    )
    headroom: float | None = strawberry.field(
        description="plan limit total − peak; null without a peak."
    )


@strawberry.type(
    description="Projections from observed growth and churn over the last 90 days (three "
    "months of 30 days). Users grow by g = (signed up − deleted) / 3 / users at the window's "
    "start per month; paying customers by (new + reactivated) / 3 / paying at start and churn "
    "by churned / 3 / paying at start; MRR by the net MRR movement / 3 / MRR at start; each "
    "compounded monthly. Conservative takes growth × 0.5 and churn × 1.5, realistic the "
    "observed rates, optimistic growth × 1.5 and churn × 0.5 (a negative net rate counts as "
    "churn)."
)
class Predictions:
    horizon_months: int
    observed_from: date
    observed_to: date
    users_monthly_growth: float
    paying_monthly_gain: float
    paying_monthly_churn: float
    mrr_monthly_net_growth: float
    scenarios: list[PredictionScenario]
    runway: Runway
    rate_limit_headroom: RateLimitHeadroom


@strawberry.type(description="One of the caller's customers at a glance.")
class MyCustomerOverview:
    customer_id: strawberry.ID
    slug: str
    name: str
    active_keys: int = strawberry.field(description="API keys neither revoked nor disabled.")
    members: int
    open_invoices: int
    amount_due: Money = strawberry.field(description="What the open invoices still ask for.")
    usage_this_month: int = strawberry.field(
        description="Usage events rolled up this UTC month, as the monthly quota counts them."
    )
    monthly_quota: int | None = strawberry.field(
        description="The live subscription's plan version's quota; null: unlimited or none."
    )
    licenses: int = strawberry.field(
        description="Licenses issued to the customer and not revoked (suspended or expired "
        "ones included: they can come back)."
    )


@strawberry.type(description="A session admin's own customers.")
class MyOverview:
    customers: list[MyCustomerOverview]


@strawberry.type(description="A recorded cost.")
class CostEntry:
    id: strawberry.ID
    incurred_on: date
    category: str
    amount: Money
    description: str
    plan_code: str | None
    created_at: datetime
