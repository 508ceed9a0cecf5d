"""Members: add, change role, remove; the OWNER rules; the owners backfill."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import Database
from app.models import MemberRole, Membership, UserStatus
from app.models.tables import MEMBERSHIPS
from tests.customers import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.support import rows

ON_SQLITE = os.environ.get("ADMIRAL_TEST_DATABASE", "sqlite") == "sqlite"
MEMBERSHIP = "membership { id role customer { slug } user { email } }"
MEMBER_ADD = Mutation("memberAdd", MEMBERSHIP)
MEMBER_ROLE_UPDATE = Mutation("memberRoleUpdate", MEMBERSHIP)
MEMBER_REMOVE = Mutation(
    "memberRemove", "removedMembershipId customer { slug members { totalCount } }"
)


def own(world: World, **fields: Any) -> dict[str, Any]:
    return {"customerId": gid("cus", world.own), **fields}


async def role_of(db: Database, world: World, user: Any) -> str | None:
    found = await rows(
        db,
        sa.select(MEMBERSHIPS.c.role).where(
            MEMBERSHIPS.c.customer_id == world.own.id, MEMBERSHIPS.c.user_id == user.id
        ),
    )
    return found[0].role if found else None


async def colleague(factory: Factory, world: World, email: str = "new@sister.test") -> Any:
    """A user a session admin of own-co may add: a member of sister-co, which own-co's OWNER
    and ADMIN administer too (anyone else joins through an invitation)."""
    sister = await factory.customer("sister-co")
    await factory.member(sister, world.owner, MemberRole.OWNER)
    await factory.member(sister, world.admin, MemberRole.ADMIN)
    user = await factory.user(email)
    await factory.member(sister, user)
    return user


# ---------------------------------------------------------------- memberAdd


async def test_add_by_user_id(gql: GraphQL, world: World, factory: Factory, db: Database) -> None:
    user = await colleague(factory, world)
    payload = await MEMBER_ADD.ok(
        gql, own(world, userId=gid("usr", user), role="ADMIN"), token=world.owner_token
    )
    assert payload["membership"]["role"] == "ADMIN"
    assert payload["membership"]["customer"] == {"slug": "own-co"}
    assert await role_of(db, world, user) == "ADMIN"
    [event] = await support.events(db, "member.add")
    assert event.customer_id == world.own.id
    assert event.target_id == payload["membership"]["id"]
    assert event.diff["role"] == {"before": None, "after": "ADMIN"}


async def test_add_by_email_ignores_case(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    user = await colleague(factory, world)
    await MEMBER_ADD.ok(
        gql, own(world, email=" New@SISTER.test ", role="MEMBER"), token=world.admin_token
    )
    assert await role_of(db, world, user) == "MEMBER"


async def test_payload_relations_read_what_the_mutation_wrote(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await colleague(factory, world)
    payload = await Mutation(
        "memberAdd", "membership { user { email } customer { members { totalCount } } }"
    ).ok(gql, own(world, email="new@sister.test", role="MEMBER"), token=world.owner_token)
    assert payload["membership"]["user"] == {"email": "new@sister.test"}
    assert payload["membership"]["customer"]["members"]["totalCount"] == 4


async def test_add_an_unknown_email_suggests_an_invitation(gql: GraphQL, world: World) -> None:
    response = await MEMBER_ADD.send(
        gql, own(world, email="nobody@own.test", role="MEMBER"), token=world.master
    )
    [error] = response.data["memberAdd"]["userErrors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "email"])
    assert "invitation" in error["message"]


@pytest.mark.parametrize("given", ["both", "neither"])
async def test_add_needs_exactly_one_of_user_id_and_email(
    gql: GraphQL, world: World, given: str
) -> None:
    fields = {"userId": gid("usr", world.outsider), "email": "outsider@other.test"}
    found = await MEMBER_ADD.refused(
        gql, own(world, role="MEMBER", **(fields if given == "both" else {})), token=world.master
    )
    assert found == [("INVALID", ["input", "userId"])]


@pytest.mark.parametrize("by", ["userId", "email"])
async def test_add_an_existing_member_is_a_conflict(gql: GraphQL, world: World, by: str) -> None:
    who = gid("usr", world.member) if by == "userId" else "member@own.test"
    found = await MEMBER_ADD.refused(
        gql, own(world, role="ADMIN", **{by: who}), token=world.owner_token
    )
    assert found == [("CONFLICT", ["input", by])]


async def test_a_deleted_user_cannot_be_added(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    deleted = await factory.user("gone@own.test", status=UserStatus.DELETED)
    before = await support.counts(db)
    found = await MEMBER_ADD.refused(
        gql, own(world, userId=gid("usr", deleted), role="MEMBER"), token=world.master
    )
    assert found == [("INVALID_STATE", ["input", "userId"])]
    by_email = await MEMBER_ADD.refused(
        gql, own(world, email="gone@own.test", role="MEMBER"), token=world.master
    )
    assert by_email == [("NOT_FOUND", ["input", "email"])]
    assert await support.counts(db) == before


async def test_add_an_unknown_user_id_is_not_found(gql: GraphQL, world: World) -> None:
    found = await MEMBER_ADD.refused(
        gql, own(world, userId="usr_00000000000000000000000000", role="MEMBER"), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "userId"])]


async def test_only_an_owner_grants_owner(gql: GraphQL, world: World, factory: Factory) -> None:
    user = await colleague(factory, world)
    add = own(world, userId=gid("usr", user), role="OWNER")
    assert await MEMBER_ADD.refused(gql, add, token=world.admin_token) == [
        ("FORBIDDEN", ["input", "role"])
    ]
    payload = await MEMBER_ADD.ok(gql, add, token=world.owner_token)
    assert payload["membership"]["role"] == "OWNER"


async def test_master_grants_owner(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    user = await factory.user("new@own.test")
    add = own(world, userId=gid("usr", user), role="OWNER")
    payload = await MEMBER_ADD.ok(gql, add, token=world.master)
    assert payload["membership"]["role"] == "OWNER"
    assert payload["membership"]["user"] == {"email": "new@own.test"}
    assert await role_of(db, world, user) == "OWNER"
    # The new OWNER administers the customer: it is in their session scope.
    token = await factory.session_token(user)
    mine = await gql.ok("{ me { customers { slug } } }", token=token)
    assert mine["me"]["customers"] == [{"slug": "own-co"}]


# ---------------------------------------------------------------- memberRoleUpdate


async def test_admin_changes_a_members_role(gql: GraphQL, world: World, db: Database) -> None:
    payload = await MEMBER_ROLE_UPDATE.ok(
        gql, own(world, userId=gid("usr", world.member), role="ADMIN"), token=world.admin_token
    )
    assert payload["membership"]["role"] == "ADMIN"
    [event] = await support.events(db, "member.role_update")
    assert event.diff["role"] == {"before": "MEMBER", "after": "ADMIN"}
    assert event.customer_id == world.own.id


async def test_the_last_owner_cannot_be_demoted(gql: GraphQL, world: World, db: Database) -> None:
    found = await MEMBER_ROLE_UPDATE.refused(
        gql, own(world, userId=gid("usr", world.owner), role="ADMIN"), token=world.master
    )
    assert found == [("LAST_OWNER", ["input", "role"])]
    assert await role_of(db, world, world.owner) == "OWNER"


async def test_owner_hands_over_ownership(gql: GraphQL, world: World, db: Database) -> None:
    promote = own(world, userId=gid("usr", world.admin), role="OWNER")
    assert await MEMBER_ROLE_UPDATE.refused(gql, promote, token=world.admin_token) == [
        ("FORBIDDEN", ["input", "role"])
    ]
    await MEMBER_ROLE_UPDATE.ok(gql, promote, token=world.owner_token)
    step_down = own(world, userId=gid("usr", world.owner), role="MEMBER")
    await MEMBER_ROLE_UPDATE.ok(gql, step_down, token=world.owner_token)
    assert await role_of(db, world, world.owner) == "MEMBER"
    assert await role_of(db, world, world.admin) == "OWNER"


async def test_an_admin_cannot_demote_an_owner(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await factory.member(world.own, await factory.user("second@own.test"), MemberRole.OWNER)
    found = await MEMBER_ROLE_UPDATE.refused(
        gql, own(world, userId=gid("usr", world.owner), role="MEMBER"), token=world.admin_token
    )
    assert found == [("FORBIDDEN", ["input", "role"])]
    assert await role_of(db, world, world.owner) == "OWNER"


async def test_role_update_of_a_non_member_is_not_found(gql: GraphQL, world: World) -> None:
    found = await MEMBER_ROLE_UPDATE.refused(
        gql, own(world, userId=gid("usr", world.outsider), role="ADMIN"), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "userId"])]


async def test_setting_the_same_role_changes_nothing(
    gql: GraphQL, world: World, db: Database
) -> None:
    await MEMBER_ROLE_UPDATE.ok(
        gql, own(world, userId=gid("usr", world.member), role="MEMBER"), token=world.owner_token
    )
    assert await support.events(db, "member.role_update") == []


# ---------------------------------------------------------------- memberRemove


async def test_remove_returns_the_removed_id_and_the_customer(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    membership = await factory.get(Membership, (await membership_id(db, world, world.member)))
    payload = await MEMBER_REMOVE.ok(
        gql, own(world, userId=gid("usr", world.member)), token=world.admin_token
    )
    assert payload["removedMembershipId"] == gid("mem", membership)
    assert payload["customer"]["slug"] == "own-co"
    assert await role_of(db, world, world.member) is None
    [event] = await support.events(db, "member.remove")
    assert event.customer_id == world.own.id
    assert event.diff["role"] == {"before": "MEMBER", "after": None}


async def membership_id(db: Database, world: World, user: Any) -> Any:
    found = await rows(
        db,
        sa.select(MEMBERSHIPS.c.id).where(
            MEMBERSHIPS.c.customer_id == world.own.id, MEMBERSHIPS.c.user_id == user.id
        ),
    )
    return found[0].id


async def test_the_last_owner_cannot_be_removed(gql: GraphQL, world: World, db: Database) -> None:
    found = await MEMBER_REMOVE.refused(
        gql, own(world, userId=gid("usr", world.owner)), token=world.owner_token
    )
    assert found == [("LAST_OWNER", ["input", "userId"])]
    assert await role_of(db, world, world.owner) == "OWNER"


async def test_only_an_owner_removes_an_owner(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    second = await factory.user("second@own.test")
    await factory.member(world.own, second, MemberRole.OWNER)
    remove = own(world, userId=gid("usr", second))
    assert await MEMBER_REMOVE.refused(gql, remove, token=world.admin_token) == [
        ("FORBIDDEN", ["input", "userId"])
    ]
    await MEMBER_REMOVE.ok(gql, remove, token=world.owner_token)
    assert await role_of(db, world, second) is None


async def test_remove_a_non_member_is_not_found(gql: GraphQL, world: World) -> None:
    found = await MEMBER_REMOVE.refused(
        gql, own(world, userId=gid("usr", world.outsider)), token=world.master
    )
    assert found == [("NOT_FOUND", ["input", "userId"])]


async def test_an_admin_may_leave(gql: GraphQL, world: World, db: Database) -> None:
    await MEMBER_REMOVE.ok(gql, own(world, userId=gid("usr", world.admin)), token=world.admin_token)
    assert await role_of(db, world, world.admin) is None


# ---------------------------------------------------------------- membersBackfill

MEMBERS_BACKFILL = Mutation(
    "membersBackfill",
    "created promoted skipped memberships { role customer { slug } user { email } }",
    takes_input=False,
)


async def backfill_world(factory: Factory) -> dict[str, Any]:
    """Four customers: one to give a new OWNER, one to promote its ADMIN, one without any user
    for its billing email, and one that already has an OWNER."""
    billing = await factory.user("billing@fresh.test")
    promoted = await factory.user("billing@admin.test")
    fresh = await factory.customer("fresh", billing_email="Billing@Fresh.test")
    admin_led = await factory.customer("admin-led", billing_email="billing@admin.test")
    await factory.member(admin_led, promoted, MemberRole.ADMIN)
    lost = await factory.customer("lost", billing_email="nobody@lost.test")
    owned = await factory.customer("owned", billing_email="billing@fresh.test")
    await factory.member(owned, await factory.user("boss@owned.test"), MemberRole.OWNER)
    return {"billing": billing, "fresh": fresh, "admin_led": admin_led, "lost": lost}


async def test_backfill_gives_ownerless_customers_their_billing_user(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    made = await backfill_world(factory)
    before = await support.counts(db)
    payload = await MEMBERS_BACKFILL.ok(gql, token=world.master)
    assert payload["created"] == 2
    assert payload["promoted"] == 1
    assert payload["skipped"] == [gid("cus", made["lost"])]
    assert sorted(
        (m["customer"]["slug"], m["user"]["email"], m["role"]) for m in payload["memberships"]
    ) == [("admin-led", "billing@admin.test", "OWNER"), ("fresh", "billing@fresh.test", "OWNER")]
    after = await support.counts(db)
    assert after["memberships"] == before["memberships"] + 1  # one new row, one promotion
    audited = await support.events(db, "members.backfill")
    assert sorted(event.customer_id for event in audited) == sorted(
        [made["fresh"].id, made["admin_led"].id]
    )

    again = await MEMBERS_BACKFILL.ok(gql, token=world.master)
    assert (again["created"], again["promoted"], again["memberships"]) == (0, 0, [])
    assert again["skipped"] == [gid("cus", made["lost"])]
    assert await support.counts(db) == after


async def test_backfill_dry_run_reports_and_writes_nothing(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    await backfill_world(factory)
    before = await support.counts(db)
    payload = await MEMBERS_BACKFILL.ok(gql, token=world.master, dry_run=True)
    assert (payload["created"], payload["promoted"], len(payload["skipped"])) == (2, 1, 1)
    assert await support.counts(db) == before
    owners = await rows(
        db, sa.select(sa.func.count()).where(MEMBERSHIPS.c.role == MemberRole.OWNER)
    )
    assert owners[0][0] == 3  # own-co, other-co, owned: unchanged


async def test_backfill_ignores_deleted_billing_users(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.user("gone@lost.test", status=UserStatus.DELETED)
    lost = await factory.customer("lost", billing_email="gone@lost.test")
    payload = await MEMBERS_BACKFILL.ok(gql, token=world.master)
    assert payload["created"] == 0
    assert payload["skipped"] == [gid("cus", lost)]


@pytest.mark.parametrize("caller", ["owner", "read_only"])
async def test_backfill_is_master_only(gql: GraphQL, world: World, caller: str) -> None:
    token = world.owner_token if caller == "owner" else world.read_only_token
    response = await MEMBERS_BACKFILL.send(gql, token=token)
    assert response.codes == ["FORBIDDEN" if caller == "owner" else "READ_ONLY_SESSION"]
