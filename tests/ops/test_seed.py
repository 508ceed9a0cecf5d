"""The deterministic demo data set."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette

from app.models import CustomerStatus, MemberRole, UserStatus
from app.models.tables import CUSTOMERS, MEMBERSHIPS, PLANS, USERS
from app.ops import seed as demo
from tests.helpers import GraphQL
from tests.support import empty_tables, rows
from tests.users.support import login


async def seed(app: Starlette, db: Any, users: int = 200, number: int = 3) -> demo.SeedReport:
    passwords = app.state.runtime.passwords
    async with db.write_session() as session:
        report = await demo.seed(
            session,
            users=users,
            seed=number,
            demo_password_hash=passwords.hash(demo.DEMO_PASSWORD),
        )
        await session.commit()
    return report


async def snapshot(db: Any) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    emails = [r.email for r in await rows(db, sa.select(USERS.c.email).order_by(USERS.c.email))]
    slugs = [r.slug for r in await rows(db, sa.select(CUSTOMERS.c.slug).order_by(CUSTOMERS.c.slug))]
    members = await rows(
        db,
        sa.select(USERS.c.email, CUSTOMERS.c.slug, MEMBERSHIPS.c.role)
        .join(USERS, USERS.c.id == MEMBERSHIPS.c.user_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == MEMBERSHIPS.c.customer_id)
        .order_by(USERS.c.email, CUSTOMERS.c.slug),
    )
    return emails, slugs, [(m.email, m.slug, str(m.role)) for m in members]


async def test_same_seed_same_data_other_seed_other_data(app: Starlette, db: Any) -> None:
    await seed(app, db, number=3)
    first = await snapshot(db)
    await empty_tables(db)
    await seed(app, db, number=3)
    assert await snapshot(db) == first
    await empty_tables(db)
    await seed(app, db, number=4)
    other = await snapshot(db)
    assert other[0] != first[0]
    assert other[1] != first[1]


async def test_proportions(app: Starlette, db: Any) -> None:
    report = await seed(app, db, users=200)
    assert report.users == 200
    assert report.customers == 20  # about one customer per ten users
    assert report.plans == 9
    assert (await rows(db, sa.select(sa.func.count()).select_from(PLANS)))[0][0] == 9
    owners = Counter(
        r.customer_id
        for r in await rows(
            db, sa.select(MEMBERSHIPS.c.customer_id).where(MEMBERSHIPS.c.role == MemberRole.OWNER)
        )
    )
    customers = await rows(db, sa.select(CUSTOMERS.c.id, CUSTOMERS.c.status))
    assert len(customers) == 20
    assert all(owners[customer.id] >= 1 for customer in customers)  # every customer has an OWNER
    members = await rows(db, sa.select(MEMBERSHIPS.c.customer_id))
    assert 150 <= len(members) <= 230
    statuses = Counter(r.status for r in await rows(db, sa.select(USERS.c.status)))
    assert statuses[UserStatus.ACTIVE] > 150
    assert sum(statuses.values()) == 200
    assert {c.status for c in customers} <= {CustomerStatus.ACTIVE, CustomerStatus.DEACTIVATED}


async def test_demo_owner_can_log_in_and_administers_a_customer(
    app: Starlette, db: Any, gql: GraphQL
) -> None:
    await seed(app, db, users=50)
    token = (await login(gql, demo.DEMO_OWNER_EMAIL, demo.DEMO_PASSWORD))["token"]
    assert token
    me = await gql.ok("{ me { scope customers { slug } } users { totalCount } }", token=token)
    assert me["me"]["scope"] == "SESSION"
    assert len(me["me"]["customers"]) == 1
    assert me["users"]["totalCount"] >= 2


async def test_seeding_nothing(app: Starlette, db: Any) -> None:
    report = await seed(app, db, users=0)
    assert (report.users, report.customers, report.memberships) == (0, 0, 0)
