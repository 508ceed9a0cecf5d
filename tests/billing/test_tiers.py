"""The demo seed's tiers table, as `tiers` answers it for a pricing page."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from app.models import MemberRole
from app.ops import seed as demo
from tests.helpers import Factory, GraphQL

TIERS = """{ tiers { code name price priceIsMinimum validationsPerYear validationsIsMinimum
                     ratePerSecond slaPercent plan { interval } } }"""


async def test_the_seeded_tiers(gql: GraphQL, app: Starlette, db: Any, factory: Factory) -> None:
    async with db.write_session() as session:
        await demo.seed(session, users=20, seed=1)
        await session.commit()
    user = await factory.user("reader@example.test")
    customer = await factory.customer("reader-co")
    await factory.member(customer, user, MemberRole.OWNER)
    data = await gql.ok(TIERS, token=await factory.session_token(user))
    rows = [
        (
            t["name"],
            t["price"]["amount"] // 100,
            t["priceIsMinimum"],
            t["validationsPerYear"],
            t["validationsIsMinimum"],
            t["ratePerSecond"],
            t["slaPercent"],
        )
        for t in data["tiers"]
    ]
    assert rows == [
        ("Free", 0, False, 120_000, False, 5, None),
        ("Starter", 100_000, False, 2_000_000, False, 50, "99.900"),
        ("Growth", 250_000, False, 10_000_000, False, 100, "99.950"),
        ("Scale", 500_000, False, 30_000_000, False, 200, "99.950"),
        ("Enterprise", 1_000_000, False, 80_000_000, False, 500, "99.990"),
        ("Custom", 2_000_000, True, 200_000_000, True, 1_000, "99.990"),
    ]
    assert {t["plan"]["interval"] for t in data["tiers"]} == {"YEAR"}
    monthly = await gql.ok(
        "{ plans(filter: {interval: MONTH}) { nodes { code } } }", token=await factory.master_key()
    )
    assert {n["code"] for n in monthly["plans"]["nodes"]} == {"starter", "pro", "business"}
