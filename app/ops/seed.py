"""A deterministic demo data set: the same `seed` always yields the same people and accounts.

About one customer per ten users; every customer has an OWNER, some ADMINs and MEMBERs; most
users belong to one customer, a few to two, some to none; plans, statuses and admin notes come in
realistic proportions. Rows are bulk-inserted, so 20,000 users take seconds.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import proration
from app.models import (
    Customer,
    CustomerStatus,
    MemberRole,
    Membership,
    NoteCategory,
    Plan,
    PlanInterval,
    PlanStatus,
    PlanVersion,
    Subscription,
    SubscriptionStatus,
    User,
    UserNote,
    UserStatus,
)

BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_DAYS = 690
CHUNK = 1000

DEMO_OWNER_EMAIL = "owner@demo.test"
DEMO_PASSWORD = "demo-password-1"

FIRST_NAMES = (
    "Ada Alan Grace Linus Margaret Dennis Barbara Ken Radia Guido Frances Edsger Hedy Tim "
    "Katherine John Sophie Leslie Donald Anita Niklaus Jean Barbara Yukihiro Rasmus Bjarne "
    "Shafi Whitfield Martha Adele Lynn Vint Joan Fei Satoshi Ruth Claude Evelyn Kristen Ole"
).split()
LAST_NAMES = (
    "Lovelace Turing Hopper Torvalds Hamilton Ritchie Liskov Thompson Perlman Rossum Allen "
    "Dijkstra Lamarr Berners-Lee Johnson McCarthy Wilson Lamport Knuth Borg Wirth Sammet "
    "Matsumoto Lerdorf Stroustrup Goldwasser Diffie Beyer Goldberg Conway Cerf Clarke Li "
    "Nakamoto Teitelbaum Shannon Berezin Nygaard Dahl"
).split()
ADJECTIVES = (
    "amber brisk cobalt dapper eager fable granite harbor indigo jolly keen lunar maple "
    "nimble onyx polar quartz rapid sable tidal umber vivid willow xenon yonder zephyr"
).split()
NOUNS = (
    "labs works systems studio analytics cloud foundry logic data ventures robotics media "
    "health finance energy games retail learning travel security"
).split()
DOMAINS = ("example.com", "example.org", "example.net", "mail.test", "corp.test")
NOTE_BODIES = {
    NoteCategory.GENERAL: "Called about onboarding; walked them through projects.",
    NoteCategory.SUPPORT: "Opened a ticket about API rate limits; raised the burst for a week.",
    NoteCategory.TIER_CHANGE: "Asked to move to a bigger plan at the end of the quarter.",
    NoteCategory.SUSPENSION: "Suspended after repeated chargebacks; review in 30 days.",
    NoteCategory.PASSWORD_RESET: "Sent a password reset link after identity check.",
}

# The pricing page's tiers (yearly, `features.tier` gives their order) and monthly self-serve
# plans. Prices in cents; yearly validations become a monthly quota rounded up.
M, Y = PlanInterval.MONTH, PlanInterval.YEAR
PLAN_CATALOG: tuple[tuple[Any, ...], ...] = (
    # code, name, price, interval, validations/interval, rate/s, seats, SLA %, tier, weight
    ("free", "Free", 0, Y, 120_000, 5, 3, None, 0, 30),
    ("starter", "Starter", 1_900, M, 100_000, 20, 5, None, None, 20),
    ("pro", "Pro", 9_900, M, 1_000_000, 100, 20, "99.9", None, 20),
    ("business", "Business", 49_900, M, 10_000_000, 500, 100, "99.95", None, 10),
    ("starter-yearly", "Starter", 10_000_000, Y, 2_000_000, 50, None, "99.9", 1, 8),
    ("growth", "Growth", 25_000_000, Y, 10_000_000, 100, None, "99.95", 2, 6),
    ("scale", "Scale", 50_000_000, Y, 30_000_000, 200, None, "99.95", 3, 3),
    ("enterprise", "Enterprise", 100_000_000, Y, 80_000_000, 500, None, "99.99", 4, 2),
    ("custom", "Custom", 200_000_000, Y, 200_000_000, 1_000, None, "99.99", 5, 1),
)
MINIMUM_PLANS = frozenset({"custom"})  # "from $2,000,000", "200M+"


@dataclass(frozen=True, slots=True)
class SeedReport:
    plans: int
    customers: int
    users: int
    memberships: int
    notes: int


def _uuid7_at(when: datetime, rng: random.Random) -> uuid.UUID:
    millis = int(when.timestamp() * 1000)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64
    value |= 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


def _moment(rng: random.Random) -> datetime:
    return BASE_TIME + timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


async def _insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(sa.insert(_table(model)), rows[start : start + CHUNK])


def _plans(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for code, name, price, interval, quota, rate, seats, sla, tier, _ in PLAN_CATALOG:
        created = BASE_TIME - timedelta(days=30)
        yearly = interval is PlanInterval.YEAR
        features: dict[str, Any] = {"api": True, "support": "email" if price == 0 else "priority"}
        if tier is not None:
            features |= {"tier": tier, "validationsPerYear": quota}
            if code in MINIMUM_PLANS:
                features |= {"priceIsMinimum": True, "validationsIsMinimum": True}
        rows.append(
            {
                "id": _uuid7_at(created, rng),
                "code": code,
                "name": name,
                "description": f"The {name} plan{' (yearly)' if yearly else ''}.",
                "price_amount": price,
                "currency": "USD",
                "interval": interval,
                "trial_days": 0 if price == 0 or yearly else 14,
                "monthly_quota": -(-quota // 12) if yearly else quota,
                "rate_per_second": rate,
                "seats": seats,
                "sla_percent": Decimal(sla) if sla else None,
                "features": features,
                "status": PlanStatus.ACTIVE,
                "version": 1,
                "archived_at": None,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def _versions(rng: random.Random, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = (
        "price_amount currency interval monthly_quota rate_per_second seats sla_percent"
    ).split()
    return [
        {
            "id": _uuid7_at(plan["created_at"], rng),
            "plan_id": plan["id"],
            "version": plan["version"],
            "created_at": plan["created_at"],
            **{name: plan[name] for name in keep},
        }
        for plan in plans
    ]


def _subscriptions(
    rng: random.Random,
    customers: list[dict[str, Any]],
    plans: list[dict[str, Any]],
    versions: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    by_id = {plan["id"]: plan for plan in plans}
    version_of = {version["plan_id"]: version for version in versions}
    rows = []
    for customer in customers:
        plan = by_id[customer["plan_id"]]
        start = customer["created_at"]
        rows.append(
            {
                "id": _uuid7_at(start, rng),
                "customer_id": customer["id"],
                "plan_id": plan["id"],
                "plan_version_id": version_of[plan["id"]]["id"],
                "plan_version": plan["version"],
                "price_amount": plan["price_amount"],
                "currency": plan["currency"],
                "interval": plan["interval"],
                "status": SubscriptionStatus.ACTIVE,
                "current_period_start": start,
                "current_period_end": proration.period_end(start, plan["interval"]),
                "billing_cycle_anchor": start,
                "cancel_at_period_end": False,
                "billing_override": False,
                "created_at": start,
                "updated_at": start,
            }
        )
    return rows


def _users(rng: random.Random, count: int, demo_hash: str | None) -> list[dict[str, Any]]:
    rows = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = _moment(rng)
        roll = rng.random()
        status = UserStatus.ACTIVE
        suspended_until = reason = None
        if roll < 0.04:
            status, reason = UserStatus.SUSPENDED, "Unpaid invoices"
            if rng.random() < 0.5:
                suspended_until = created + timedelta(days=rng.randrange(30, 900))
        elif roll < 0.06:
            status = UserStatus.BLOCKED
        elif roll < 0.08:
            status = UserStatus.DELETED
        email = f"{first}.{last}{index}@{rng.choice(DOMAINS)}".lower()
        rows.append(
            {
                "id": _uuid7_at(created, rng),
                "email": email if status is not UserStatus.DELETED else f"deleted-{index}@invalid",
                "name": f"{first} {last}" if status is not UserStatus.DELETED else "",
                "password_hash": None,
                "status": status,
                "suspended_until": suspended_until,
                "suspension_reason": reason,
                "suspended_by": None,
                "is_staff": False,
                "profile": {},
                "created_at": created,
                "updated_at": created,
                "last_seen_at": created + timedelta(days=rng.randrange(0, 60))
                if rng.random() < 0.8
                else None,
                "deleted_at": created + timedelta(days=1) if status is UserStatus.DELETED else None,
            }
        )
    if rows and demo_hash is not None:
        rows[0].update(
            email=DEMO_OWNER_EMAIL,
            name="Demo Owner",
            password_hash=demo_hash,
            status=UserStatus.ACTIVE,
            suspended_until=None,
            suspension_reason=None,
            deleted_at=None,
        )
    return rows


async def seed(
    session: AsyncSession, *, users: int, seed: int, demo_password_hash: str | None = None
) -> SeedReport:
    """Insert the data set in `session` (the caller commits)."""
    rng = random.Random(seed)
    plans = _plans(rng)
    weights = [entry[-1] for entry in PLAN_CATALOG]
    user_rows = _users(rng, users, demo_password_hash)
    customer_count = max(1, users // 10) if users else 0
    customers = []
    for index in range(customer_count):
        created = _moment(rng)
        slug = f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}-{index}"
        customers.append(
            {
                "id": _uuid7_at(created, rng),
                "slug": slug,
                "name": slug.rsplit("-", 1)[0].replace("-", " ").title() + f" {index}",
                "status": CustomerStatus.DEACTIVATED
                if rng.random() < 0.03
                else CustomerStatus.ACTIVE,
                "billing_email": f"billing@{slug}.test",
                "plan_id": rng.choices(plans, weights)[0]["id"],
                "created_at": created,
                "updated_at": created,
                "deactivated_at": None,
                "deactivation_reason": None,
            }
        )
    if customers:
        customers[0]["status"] = CustomerStatus.ACTIVE  # the demo owner's account stays usable
    for row in customers:
        if row["status"] is CustomerStatus.DEACTIVATED:
            row["deactivated_at"] = row["created_at"] + timedelta(days=90)
            row["deactivation_reason"] = "Closed by the customer"

    memberships = _memberships(rng, user_rows, customers)
    notes = _notes(rng, user_rows)
    versions = _versions(rng, plans)
    await _insert(session, Plan, plans)
    await _insert(session, PlanVersion, versions)
    await _insert(session, User, user_rows)
    await _insert(session, Customer, customers)
    await _insert(session, Subscription, _subscriptions(rng, customers, plans, versions))
    await _insert(session, Membership, memberships)
    await _insert(session, UserNote, notes)
    return SeedReport(len(plans), len(customers), len(user_rows), len(memberships), len(notes))


def _memberships(
    rng: random.Random, users: list[dict[str, Any]], customers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if not customers:
        return []
    # The first user (the demo owner, when there is one) owns the first customer.
    order = list(range(1, len(users)))
    rng.shuffle(order)
    order.insert(0, 0)
    rows: list[dict[str, Any]] = []
    members: dict[int, set[int]] = {index: set() for index in range(len(customers))}

    def add(customer: int, user: int, role: MemberRole) -> None:
        if user in members[customer]:
            return
        members[customer].add(user)
        joined = max(customers[customer]["created_at"], users[user]["created_at"])
        rows.append(
            {
                "id": _uuid7_at(joined, rng),
                "customer_id": customers[customer]["id"],
                "user_id": users[user]["id"],
                "role": role,
                "created_at": joined,
            }
        )

    # Every customer first gets an owner, then the rest spread out ~9 per customer.
    for customer in range(len(customers)):
        add(customer, order[customer % len(order)], MemberRole.OWNER)
    for user in order[len(customers) :]:
        roll = rng.random()
        if roll < 0.10:
            continue
        count = 2 if roll > 0.95 else 1
        for customer in rng.sample(range(len(customers)), min(count, len(customers))):
            role = MemberRole.ADMIN if rng.random() < 0.15 else MemberRole.MEMBER
            add(customer, user, role)
    return rows


def _notes(rng: random.Random, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    categories = list(NOTE_BODIES)
    for user in users:
        if rng.random() >= 0.3:
            continue
        for _ in range(rng.randint(1, 3)):
            category = rng.choice(categories)
            created = user["created_at"] + timedelta(days=rng.randrange(1, 90))
            rows.append(
                {
                    "id": _uuid7_at(created, rng),
                    "user_id": user["id"],
                    "author_id": "system:seed",
                    "category": category,
                    "body": NOTE_BODIES[category],
                    "created_at": created,
                }
            )
    return rows


async def has_users(session: AsyncSession) -> bool:
    return (
        await session.execute(sa.select(sa.func.count()).select_from(_table(User)))
    ).scalar_one() > 0
