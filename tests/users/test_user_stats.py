"""`userStats { total byStatus { status count } byPlan { planCode count } newLast30Days }`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.kit import clock
from app.models import MemberRole, UserStatus
from tests.helpers import Factory, GraphQL, World

STATS = "{ userStats { total byStatus { status count } byPlan { planCode count } newLast30Days } }"


async def _known_users(factory: Factory) -> None:
    """Seven users on two plans; one suspension ends in an hour, one has ended already."""
    pro = await factory.plan("pro")
    free = await factory.plan("free")
    pro_a = await factory.customer(plan=pro)
    pro_b = await factory.customer(plan=pro)
    free_c = await factory.customer(plan=free)
    planless = await factory.customer()
    now = clock.now()

    both_pro = await factory.user()  # in two pro customers: counts once for pro
    await factory.member(pro_a, both_pro, MemberRole.OWNER)
    await factory.member(pro_b, both_pro, MemberRole.OWNER)
    on_free = await factory.user()
    await factory.member(free_c, on_free, MemberRole.OWNER)
    ends_soon = await factory.user(
        status=UserStatus.SUSPENDED, suspended_until=now + timedelta(hours=1)
    )
    await factory.member(pro_a, ends_soon)
    lapsed = await factory.user(
        status=UserStatus.SUSPENDED, suspended_until=now - timedelta(minutes=5)
    )
    await factory.member(free_c, lapsed)
    await factory.user(status=UserStatus.BLOCKED)
    await factory.user(status=UserStatus.DELETED)
    veteran = await factory.user(created_at=now - timedelta(days=40))
    await factory.member(planless, veteran, MemberRole.OWNER)
    await factory.member(free_c, veteran)


async def _stats(gql: GraphQL, token: str) -> dict[str, Any]:
    stats: dict[str, Any] = (await gql.ok(STATS, token=token))["userStats"]
    return stats


def _by_status(stats: dict[str, Any]) -> dict[str, int]:
    return {item["status"]: item["count"] for item in stats["byStatus"]}


async def test_exact_numbers_on_a_known_data_set(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    await _known_users(factory)

    stats = await _stats(gql, master_token)

    assert stats == {
        "total": 7,
        "byStatus": [
            {"status": "ACTIVE", "count": 4},
            {"status": "SUSPENDED", "count": 1},
            {"status": "BLOCKED", "count": 1},
            {"status": "DELETED", "count": 1},
        ],
        "byPlan": [{"planCode": "free", "count": 3}, {"planCode": "pro", "count": 2}],
        "newLast30Days": 6,
    }


async def test_a_suspension_that_has_ended_counts_as_active(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    await _known_users(factory)

    with clock.travel(timedelta(hours=2)):
        stats = await _stats(gql, master_token)

    assert _by_status(stats) == {"ACTIVE": 5, "SUSPENDED": 0, "BLOCKED": 1, "DELETED": 1}
    assert stats["total"] == 7


async def test_every_status_is_listed_even_at_zero(gql: GraphQL, master_token: str) -> None:
    stats = await _stats(gql, master_token)

    assert stats == {
        "total": 0,
        "byStatus": [{"status": status.value, "count": 0} for status in UserStatus],
        "byPlan": [],
        "newLast30Days": 0,
    }


async def test_new_users_are_counted_for_30_days(
    gql: GraphQL, factory: Factory, master_token: str
) -> None:
    await factory.user(created_at=clock.now() - timedelta(days=29, hours=23))
    await factory.user(created_at=clock.now() - timedelta(days=30, hours=1))

    assert (await _stats(gql, master_token))["newLast30Days"] == 1


async def test_a_session_admin_gets_null_and_forbidden(gql: GraphQL, world: World) -> None:
    response = await gql(STATS, token=world.owner_token)

    assert response.data == {"userStats": None}
    assert response.codes == ["FORBIDDEN"]


async def test_a_staff_session_sees_the_stats(gql: GraphQL, world: World) -> None:
    stats = await _stats(gql, world.staff_token)

    assert stats["total"] == 5  # the world's users


async def test_signups_by_day_counts_each_utc_day_of_the_window(
    gql: GraphQL, factory: Factory, world: World
) -> None:
    today = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    await factory.user(created_at=today - timedelta(days=2))
    await factory.user(created_at=today - timedelta(days=2, hours=11))
    await factory.user(created_at=today - timedelta(days=9))  # outside a 3-day window
    data = await gql.ok("{ userStats { signupsByDay(days: 3) { day count } } }", token=world.master)
    days = data["userStats"]["signupsByDay"]
    assert [row["day"] for row in days] == [
        (today - timedelta(days=offset)).date().isoformat() for offset in (2, 1, 0)
    ]
    # The world's own users were created today.
    assert [row["count"] for row in days] == [2, 0, 5]


async def test_signups_by_day_refuses_a_window_over_a_year(gql: GraphQL, world: World) -> None:
    response = await gql("{ userStats { signupsByDay(days: 367) { day } } }", token=world.master)
    assert response.codes == ["BAD_USER_INPUT"]
