"""Migration 0004 moves each customer's plan onto an ACTIVE subscription (both engines)."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app import migrate
from tests.conftest import _postgres_database
from tests.test_migrations import postgres_reachable

PLAN_ID, CUSTOMER_ID, FREE_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def run(url: str, work: Any) -> Any:
    async def go() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def before(connection: sa.Connection) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    plans = sa.table(
        "plans",
        *(sa.column(name) for name in "code name description price_amount interval".split()),
        *(sa.column(name) for name in "seats sla currency version created_at updated_at".split()),
        sa.column("id", sa.Uuid()),
    )
    customers = sa.table(
        "customers",
        *(
            sa.column(name)
            for name in "slug name status billing_email created_at updated_at".split()
        ),
        sa.column("id", sa.Uuid()),
        sa.column("plan_id", sa.Uuid()),
    )
    common = {"currency": "USD", "version": 1, "created_at": now, "updated_at": now}
    connection.execute(
        plans.insert(),
        [
            {
                "id": PLAN_ID,
                "code": "pro",
                "name": "Pro",
                "description": "",
                "price_amount": 9900,
                "interval": "MONTH",
                "seats": 5,
                "sla": "99.9%",
                **common,
            },
            {
                "id": FREE_ID,
                "code": "free",
                "name": "Free",
                "description": "",
                "price_amount": 0,
                "interval": "YEAR",
                "seats": None,
                "sla": None,
                **common,
            },
        ],
    )
    rows = [
        {"id": CUSTOMER_ID, "slug": "on-pro", "plan_id": PLAN_ID},
        {"id": uuid.uuid4(), "slug": "on-nothing", "plan_id": None},
    ]
    connection.execute(
        customers.insert(),
        [
            {
                **row,
                "name": row["slug"],
                "status": "ACTIVE",
                "billing_email": "",
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ],
    )


def after(connection: sa.Connection) -> dict[str, Any]:
    subscriptions = (
        connection.execute(
            sa.select(
                sa.table(
                    "subscriptions",
                    sa.column("customer_id", sa.Uuid()),
                    sa.column("plan_id", sa.Uuid()),
                    *(sa.column(name) for name in "status plan_version price_amount".split()),
                )
            )
        )
        .mappings()
        .all()
    )
    versions = (
        connection.execute(
            sa.select(
                sa.table("plan_versions", sa.column("plan_id", sa.Uuid()), sa.column("version"))
            )
        )
        .mappings()
        .all()
    )
    plans = (
        connection.execute(
            sa.select(
                sa.table(
                    "plans",
                    sa.column("code"),
                    sa.column("status"),
                    sa.column("sla_percent", sa.Numeric(6, 3)),
                )
            )
        )
        .mappings()
        .all()
    )
    return {
        "subscriptions": [dict(row) for row in subscriptions],
        "versions": sorted((row["plan_id"] == PLAN_ID, row["version"]) for row in versions),
        "sla": {row["code"]: row["sla_percent"] for row in plans},
        "status": {row["code"]: row["status"] for row in plans},
    }


def check(url: str) -> None:
    migrate.upgrade(url, "0004-1")
    run(url, before)
    migrate.upgrade(url, "0004")
    found = run(url, after)
    [subscription] = found["subscriptions"]
    assert subscription["customer_id"] == CUSTOMER_ID
    assert subscription["plan_id"] == PLAN_ID
    assert (subscription["status"], subscription["plan_version"]) == ("ACTIVE", 1)
    assert subscription["price_amount"] == 9900
    assert found["versions"] == [(False, 1), (True, 1)]
    assert found["sla"] == {"pro": Decimal("99.900"), "free": None}
    assert found["status"] == {"pro": "ACTIVE", "free": "ACTIVE"}
    migrate.upgrade(url)  # the later revisions apply on top of the moved data
    migrate.check(url)


def test_on_sqlite(tmp_path: Path) -> None:
    check(f"sqlite+aiosqlite:///{tmp_path / 'data.db'}")


def test_on_postgres() -> None:
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not reachable")
    fresh = contextmanager(_postgres_database)
    with fresh(f"admiral_billing_{uuid.uuid4().hex[:10]}") as url:
        check(url)
