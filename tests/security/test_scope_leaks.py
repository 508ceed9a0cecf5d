"""What a session admin may reach through members and filters, and nothing beyond it.

A session admin's row scope is the active customers they are OWNER or ADMIN of, and the users
who are members of one of those. `memberAdd` enrols only such a user (a colleague from another
of the admin's customers); anyone else answers exactly like an unknown user, so the refusal
tells nothing about who has an account. A filter value outside the scope gives an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit.ids import encode, uuid7
from app.models import CustomerStatus, MemberRole, User, UserStatus
from app.models.tables import MEMBERSHIPS
from tests.customers import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.support import rows

MEMBER_ADD = Mutation("memberAdd", "membership { role customer { slug } user { email } }")
UNKNOWN_EMAIL = "nobody@nowhere.test"
UNKNOWN_ID = encode("usr", uuid7())


@dataclass
class Scene:
    """The world, plus users around own-co's OWNER: in their scope or just outside it.

    own-co's OWNER is also OWNER of sister-co (where `colleague` is a member) and of
    dormant-co, which is deactivated and so outside their scope. own-co's ADMIN administers
    own-co only, so `colleague` lies outside the ADMIN's scope.
    """

    world: World
    colleague: User
    out_of_scope: dict[str, User]


@pytest.fixture
async def scene(world: World, factory: Factory) -> Scene:
    sister = await factory.customer("sister-co")
    dormant = await factory.customer("dormant-co", status=CustomerStatus.DEACTIVATED)
    await factory.member(sister, world.owner, MemberRole.OWNER)
    await factory.member(dormant, world.owner, MemberRole.OWNER)
    colleague = await factory.user("colleague@sister.test")
    await factory.member(sister, colleague)
    other_member = await factory.user("member@other.test")
    await factory.member(world.other, other_member)
    deleted_colleague = await factory.user("gone@sister.test", status=UserStatus.DELETED)
    await factory.member(sister, deleted_colleague)
    dormant_member = await factory.user("member@dormant.test")
    await factory.member(dormant, dormant_member)
    out_of_scope = {
        "another customer's member": other_member,
        "another customer's owner": world.outsider,
        "a user in no customer": await factory.user("loner@nowhere.test"),
        "a deleted user in no customer": await factory.user(
            "gone@nowhere.test", status=UserStatus.DELETED
        ),
        "a deleted member of another of the admin's customers": deleted_colleague,
        "a member of the admin's deactivated customer": dormant_member,
    }
    return Scene(world, colleague, out_of_scope)


async def raw(
    client: httpx.AsyncClient,
    mutation: Mutation,
    input: dict[str, Any],
    token: str,
    *,
    dry_run: bool = False,
) -> bytes:
    """The exact bytes of a mutation's answer, to compare refusals byte for byte."""
    response = await client.post(
        "/graphql",
        json={
            "query": mutation.document,
            "variables": {"input": input, "dryRun": dry_run, "key": None},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.content


def own(world: World, **fields: Any) -> dict[str, Any]:
    return {"customerId": gid("cus", world.own), **fields}


def target(user: User | None, by: str) -> str:
    if by == "userId":
        return gid("usr", user) if user is not None else UNKNOWN_ID
    return user.email if user is not None else UNKNOWN_EMAIL


async def role_in_own(db: Database, world: World, user: User) -> str | None:
    found = await rows(
        db,
        sa.select(MEMBERSHIPS.c.role).where(
            MEMBERSHIPS.c.customer_id == world.own.id, MEMBERSHIPS.c.user_id == user.id
        ),
    )
    return found[0].role if found else None


async def can_read(gql: GraphQL, token: str, user: User) -> bool:
    data = await gql.ok(
        "query($id: ID!) { user(id: $id) { email } }", {"id": gid("usr", user)}, token=token
    )
    return data["user"] is not None


# ---------------------------------------------------------------- memberAdd, refused

KINDS = [
    "another customer's member",
    "another customer's owner",
    "a user in no customer",
    "a deleted user in no customer",
    "a deleted member of another of the admin's customers",
    "a member of the admin's deactivated customer",
]


@pytest.mark.parametrize("by", ["userId", "email"])
@pytest.mark.parametrize("kind", KINDS)
async def test_session_admin_cannot_add_a_user_outside_their_scope(
    client: httpx.AsyncClient,
    gql: GraphQL,
    scene: Scene,
    db: Database,
    kind: str,
    by: str,
) -> None:
    world = scene.world
    user = scene.out_of_scope[kind]
    unknown = await raw(
        client,
        MEMBER_ADD,
        own(world, role="MEMBER", **{by: target(None, by)}),
        world.owner_token,
    )
    before = await support.counts(db)
    answer = await raw(
        client,
        MEMBER_ADD,
        own(world, role="MEMBER", **{by: target(user, by)}),
        world.owner_token,
    )
    assert answer == unknown  # byte for byte: the refusal tells nothing about the user
    assert await support.counts(db) == before
    assert await support.events(db, "member.add") == []
    assert await role_in_own(db, world, user) is None
    # Only the deleted colleague was visible before (a member of sister-co); nobody became so.
    visible = kind == "a deleted member of another of the admin's customers"
    assert await can_read(gql, world.owner_token, user) is visible


@pytest.mark.parametrize("by", ["userId", "email"])
async def test_the_refusal_is_not_found_and_points_to_invitations(
    gql: GraphQL, scene: Scene, by: str
) -> None:
    world = scene.world
    for who in (None, world.outsider):
        response = await MEMBER_ADD.send(
            gql, own(world, role="MEMBER", **{by: target(who, by)}), token=world.owner_token
        )
        [error] = response.data["memberAdd"]["userErrors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", by])
        assert "invitationCreate" in error["message"]


@pytest.mark.parametrize("by", ["userId", "email"])
async def test_an_admin_cannot_add_a_colleague_from_a_customer_they_do_not_administer(
    client: httpx.AsyncClient, scene: Scene, db: Database, by: str
) -> None:
    """The colleague is in the OWNER's scope (sister-co), not in the ADMIN's."""
    world = scene.world
    unknown = await raw(
        client,
        MEMBER_ADD,
        own(world, role="MEMBER", **{by: target(None, by)}),
        world.admin_token,
    )
    before = await support.counts(db)
    answer = await raw(
        client,
        MEMBER_ADD,
        own(world, role="MEMBER", **{by: target(scene.colleague, by)}),
        world.admin_token,
    )
    assert answer == unknown
    assert await support.counts(db) == before
    assert await role_in_own(db, world, scene.colleague) is None


async def test_an_existing_email_is_refused_like_an_unknown_one_in_a_dry_run_too(
    client: httpx.AsyncClient, scene: Scene, db: Database
) -> None:
    world = scene.world

    async def dry(email: str) -> bytes:
        input = own(world, role="MEMBER", email=email)
        return await raw(client, MEMBER_ADD, input, world.owner_token, dry_run=True)

    before = await support.counts(db)
    assert await dry("member@other.test") == await dry(UNKNOWN_EMAIL)
    assert await support.counts(db) == before


# ---------------------------------------------------------------- memberAdd, allowed


@pytest.mark.parametrize("by", ["userId", "email"])
async def test_session_admin_adds_a_colleague_from_another_of_their_customers(
    gql: GraphQL, scene: Scene, db: Database, by: str
) -> None:
    world = scene.world
    before = await support.counts(db)
    payload = await MEMBER_ADD.ok(
        gql, own(world, role="ADMIN", **{by: target(scene.colleague, by)}), token=world.owner_token
    )
    assert payload["membership"] == {
        "role": "ADMIN",
        "customer": {"slug": "own-co"},
        "user": {"email": "colleague@sister.test"},
    }
    assert await role_in_own(db, world, scene.colleague) == "ADMIN"
    after = await support.counts(db)
    assert after["memberships"] == before["memberships"] + 1
    [event] = await support.events(db, "member.add")
    assert event.customer_id == world.own.id
    assert event.diff["userId"] == {"before": None, "after": gid("usr", scene.colleague)}


async def test_session_admin_adds_a_colleague_by_email_in_any_case(
    gql: GraphQL, scene: Scene, db: Database
) -> None:
    world = scene.world
    await MEMBER_ADD.ok(
        gql, own(world, role="MEMBER", email=" Colleague@SISTER.test "), token=world.owner_token
    )
    assert await role_in_own(db, world, scene.colleague) == "MEMBER"


@pytest.mark.parametrize("by", ["userId", "email"])
@pytest.mark.parametrize(
    "kind", ["another customer's member", "another customer's owner", "a user in no customer"]
)
async def test_master_adds_any_live_user(
    gql: GraphQL, scene: Scene, db: Database, kind: str, by: str
) -> None:
    world = scene.world
    user = scene.out_of_scope[kind]
    payload = await MEMBER_ADD.ok(
        gql, own(world, role="MEMBER", **{by: target(user, by)}), token=world.master
    )
    assert payload["membership"]["user"] == {"email": user.email}
    assert await role_in_own(db, world, user) == "MEMBER"
    [event] = await support.events(db, "member.add")
    assert event.customer_id == world.own.id


# ---------------------------------------------------------------- the other membership mutations


@pytest.mark.parametrize(
    ("operation", "extra"), [("memberRoleUpdate", {"role": "ADMIN"}), ("memberRemove", {})]
)
@pytest.mark.parametrize("kind", [*KINDS, "a colleague who is not a member here"])
async def test_role_update_and_remove_of_a_non_member_read_like_an_unknown_user(
    client: httpx.AsyncClient,
    scene: Scene,
    db: Database,
    operation: str,
    extra: dict[str, Any],
    kind: str,
) -> None:
    world = scene.world
    user = scene.colleague if kind.startswith("a colleague") else scene.out_of_scope[kind]
    select = "membership { role }" if operation == "memberRoleUpdate" else "removedMembershipId"
    mutation = Mutation(operation, select)
    unknown = await raw(client, mutation, own(world, userId=UNKNOWN_ID, **extra), world.owner_token)
    before = await support.counts(db)
    answer = await raw(
        client, mutation, own(world, userId=gid("usr", user), **extra), world.owner_token
    )
    assert answer == unknown
    assert await support.counts(db) == before


async def test_invitation_to_an_existing_outside_email_reads_like_one_to_an_unknown_email(
    gql: GraphQL, scene: Scene, db: Database
) -> None:
    """Inviting answers the same whether the address has an account elsewhere or none."""
    world = scene.world
    invitation_create = Mutation(
        "invitationCreate", "invitation { role status invitedBy customer { slug } }"
    )
    answers = []
    for email in ("member@other.test", UNKNOWN_EMAIL):
        payload = await invitation_create.ok(
            gql, own(world, role="MEMBER", email=email), token=world.owner_token
        )
        answers.append(payload)
    assert answers[0] == answers[1]
    diffs = [event.diff for event in await support.events(db, "invitation.create")]
    assert [sorted(diff) for diff in diffs] == [["email", "expiresAt", "role"]] * 2


# ---------------------------------------------------------------- users(filter: ...)

USERS = """
query($filter: UserFilter) {
  users(first: 200, filter: $filter, orderBy: {field: EMAIL, direction: ASC}) {
    totalCount nodes { email }
  }
}"""
OWN_MEMBERS = ["admin@own.test", "member@own.test", "owner@own.test"]


async def emails(gql: GraphQL, token: str, **filter: Any) -> tuple[int, list[str]]:
    data = await gql.ok(USERS, {"filter": filter}, token=token)
    return data["users"]["totalCount"], [node["email"] for node in data["users"]["nodes"]]


@pytest.fixture
async def shared(world: World, factory: Factory) -> World:
    """own-co's MEMBER also belongs to other-co and to free-co (plan `free`), neither of
    which own-co's admins administer."""
    await factory.member(world.other, world.member)
    free = await factory.customer("free-co", plan=await factory.plan("free"))
    await factory.member(free, world.member)
    await factory.member(free, await factory.user("solo@free.test"))
    return world


@pytest.mark.parametrize("caller", ["owner", "admin"])
async def test_customer_filter_outside_the_scope_is_an_empty_page(
    gql: GraphQL, shared: World, caller: str
) -> None:
    token = shared.owner_token if caller == "owner" else shared.admin_token
    assert await emails(gql, token, customerId=gid("cus", shared.other)) == (0, [])
    unknown = encode("cus", uuid7())
    assert await emails(gql, token, customerId=unknown) == (0, [])


async def test_customer_filter_with_the_admins_own_customer_lists_exactly_its_members(
    gql: GraphQL, shared: World
) -> None:
    own_id = gid("cus", shared.own)
    assert await emails(gql, shared.owner_token, customerId=own_id) == (3, OWN_MEMBERS)
    assert await emails(gql, shared.master, customerId=gid("cus", shared.other)) == (
        2,
        ["member@own.test", "outsider@other.test"],
    )


async def test_plan_filter_counts_only_memberships_in_the_admins_customers(
    gql: GraphQL, shared: World
) -> None:
    # own-co's MEMBER is on `free` only through free-co, which the OWNER does not administer.
    assert await emails(gql, shared.owner_token, planCode="free") == (0, [])
    assert await emails(gql, shared.owner_token, planCode="pro") == (3, OWN_MEMBERS)
    assert await emails(gql, shared.master, planCode="free") == (
        2,
        ["member@own.test", "solo@free.test"],
    )


async def test_filters_on_other_customer_lists_stay_in_scope(
    gql: GraphQL, shared: World, db: Database
) -> None:
    """The customer-keyed filters of customers and invitations give an empty page too."""
    await support.invitation(db, shared.other, "someone@other.test")
    invitations = """query($filter: InvitationFilter) {
      invitations(filter: $filter) { totalCount nodes { email } } }"""
    other = {"customerId": gid("cus", shared.other)}
    data = await gql.ok(invitations, {"filter": other}, token=shared.owner_token)
    assert data["invitations"] == {"totalCount": 0, "nodes": []}
    data = await gql.ok(invitations, {"filter": other}, token=shared.master)
    assert data["invitations"]["totalCount"] == 1
    customers = """query($filter: CustomerFilter) {
      customers(filter: $filter) { totalCount nodes { slug } } }"""
    data = await gql.ok(customers, {"filter": {"planCode": "free"}}, token=shared.owner_token)
    assert data["customers"] == {"totalCount": 0, "nodes": []}
    data = await gql.ok(customers, {"filter": {"planCode": "free"}}, token=shared.master)
    assert data["customers"]["nodes"] == [{"slug": "free-co"}]
