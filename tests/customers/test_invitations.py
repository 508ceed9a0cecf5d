"""Invitations: create (link shown once), revoke, accept, and the `invitations` list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.auth.tokens import INVITATION_PREFIX
from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash
from app.models import CustomerStatus, MemberRole
from app.models.tables import INVITATIONS, MEMBERSHIPS
from app.settings import Settings
from tests.customers import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.support import rows

INVITATION_CREATE = Mutation(
    "invitationCreate",
    "invitation { id email role status expiresAt invitedBy customer { slug } } acceptUrl",
)
INVITATION_REVOKE = Mutation("invitationRevoke", "invitation { status revokedAt }")
INVITATION_ACCEPT = Mutation(
    "invitationAccept", "membership { id role } invitation { status acceptedAt } customerId role"
)


def invite(world: World, email: str = "new@own.test", role: str = "MEMBER") -> dict[str, Any]:
    return {"customerId": gid("cus", world.own), "email": email, "role": role}


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def memberships_of(db: Database, user: Any) -> list[Any]:
    return await rows(db, sa.select(MEMBERSHIPS).where(MEMBERSHIPS.c.user_id == user.id))


# ---------------------------------------------------------------- invitationCreate


async def test_create_shows_the_link_once_and_stores_only_its_hash(
    gql: GraphQL, world: World, db: Database, settings: Settings
) -> None:
    payload = await INVITATION_CREATE.ok(
        gql, invite(world, " New@OWN.test "), token=world.admin_token
    )
    invitation, url = payload["invitation"], payload["acceptUrl"]
    assert url.startswith(f"{settings.public_url}/invitations/accept?token=")
    token = token_of(url)
    assert token.startswith(INVITATION_PREFIX)
    assert invitation["email"] == "new@own.test"
    assert invitation["status"] == "PENDING"
    assert invitation["invitedBy"] == gid("usr", world.admin)
    assert invitation["customer"] == {"slug": "own-co"}
    [stored] = await rows(db, sa.select(INVITATIONS))
    assert stored.token_hash == token_hash(token)
    assert token not in str(stored._mapping.values())
    assert stored.expires_at - stored.created_at == timedelta(days=7)
    [event] = await support.events(db, "invitation.create")
    assert event.customer_id == world.own.id
    assert token not in str(event.diff)


async def test_a_second_pending_invitation_is_a_conflict(gql: GraphQL, world: World) -> None:
    await INVITATION_CREATE.ok(gql, invite(world), token=world.owner_token)
    found = await INVITATION_CREATE.refused(
        gql, invite(world, "NEW@own.test"), token=world.owner_token
    )
    assert found == [("CONFLICT", ["input", "email"])]


async def test_a_new_invitation_may_follow_a_revoked_one(
    gql: GraphQL, world: World, db: Database
) -> None:
    revoked = await support.invitation(db, world.own, "new@own.test", revoked=True)
    payload = await INVITATION_CREATE.ok(gql, invite(world), token=world.owner_token)
    assert payload["invitation"]["email"] == "new@own.test"
    assert payload["invitation"]["status"] == "PENDING"
    stored = await rows(db, sa.select(INVITATIONS).order_by(INVITATIONS.c.created_at))
    assert [(row.id == revoked.invitation.id, row.revoked_at is None) for row in stored] == [
        (True, False),
        (False, True),
    ]


async def test_inviting_a_member_is_a_conflict(gql: GraphQL, world: World) -> None:
    found = await INVITATION_CREATE.refused(
        gql, invite(world, "member@own.test"), token=world.owner_token
    )
    assert found == [("CONFLICT", ["input", "email"])]


async def test_inviting_a_bad_email_is_invalid(gql: GraphQL, world: World) -> None:
    found = await INVITATION_CREATE.refused(gql, invite(world, "nope"), token=world.owner_token)
    assert found == [("INVALID", ["input", "email"])]


async def test_only_an_owner_invites_an_owner(gql: GraphQL, world: World) -> None:
    owner_invite = invite(world, role="OWNER")
    assert await INVITATION_CREATE.refused(gql, owner_invite, token=world.admin_token) == [
        ("FORBIDDEN", ["input", "role"])
    ]
    await INVITATION_CREATE.ok(gql, owner_invite, token=world.owner_token)


async def test_a_deactivated_customer_takes_no_invitations(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    dormant = await factory.customer("dormant", status=CustomerStatus.DEACTIVATED)
    found = await INVITATION_CREATE.refused(
        gql,
        {"customerId": gid("cus", dormant), "email": "a@b.test", "role": "MEMBER"},
        token=world.master,
    )
    assert found == [("INVALID_STATE", ["input", "customerId"])]


# ---------------------------------------------------------------- invitationRevoke


async def test_revoke_a_pending_invitation(gql: GraphQL, world: World, db: Database) -> None:
    issued = await support.invitation(db, world.own, "new@own.test")
    payload = await INVITATION_REVOKE.ok(
        gql, {"invitationId": gid("inv", issued.invitation)}, token=world.admin_token
    )
    assert payload["invitation"]["status"] == "REVOKED"
    assert payload["invitation"]["revokedAt"] is not None
    [event] = await support.events(db, "invitation.revoke")
    assert event.customer_id == world.own.id


@pytest.mark.parametrize("state", ["revoked", "accepted", "expired"])
async def test_only_a_pending_invitation_can_be_revoked(
    gql: GraphQL, world: World, db: Database, state: str
) -> None:
    issued = await support.invitation(
        db,
        world.own,
        "member@own.test",
        revoked=state == "revoked",
        accepted_by=world.member if state == "accepted" else None,
    )
    shift = timedelta(days=8) if state == "expired" else timedelta(0)
    with clock.travel(shift):
        found = await INVITATION_REVOKE.refused(
            gql, {"invitationId": gid("inv", issued.invitation)}, token=world.master
        )
    assert found == [("INVALID_STATE", ["input", "invitationId"])]


async def test_revoke_another_customers_invitation_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    issued = await support.invitation(db, world.other, "new@other.test")
    found = await INVITATION_REVOKE.refused(
        gql, {"invitationId": gid("inv", issued.invitation)}, token=world.owner_token
    )
    assert found == [("NOT_FOUND", ["input", "invitationId"])]


# ---------------------------------------------------------------- invitationAccept


async def test_accept_creates_the_membership_once(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    created = await INVITATION_CREATE.ok(
        gql, invite(world, "New@Own.test", "ADMIN"), token=world.owner_token
    )
    token = token_of(created["acceptUrl"])
    invitee = await factory.user("new@own.test")
    session = await factory.session_token(invitee)  # a user with no customers yet
    accepted = await INVITATION_ACCEPT.ok(gql, {"token": token}, token=session)
    assert accepted["membership"]["role"] == "ADMIN"
    assert accepted["invitation"]["status"] == "ACCEPTED"
    assert (accepted["customerId"], accepted["role"]) == (gid("cus", world.own), "ADMIN")
    [event] = await support.events(db, "invitation.accept")
    assert event.customer_id == world.own.id

    again = await INVITATION_ACCEPT.ok(gql, {"token": token}, token=session)
    assert again["membership"]["id"] == accepted["membership"]["id"]
    assert len(await memberships_of(db, invitee)) == 1
    assert len(await support.events(db, "invitation.accept")) == 1
    # Now an ADMIN, the invitee administers the customer.
    listed = await gql.ok("{ customers { nodes { slug } } }", token=session)
    assert listed["customers"]["nodes"] == [{"slug": "own-co"}]


async def test_a_used_link_is_refused_to_anyone_else(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    issued = await support.invitation(db, world.own, "member@own.test", accepted_by=world.member)
    other = await factory.session_token(await factory.user("someone@else.test"))
    found = await INVITATION_ACCEPT.refused(gql, {"token": issued.token}, token=other)
    assert found == [("TOKEN_USED", ["input", "token"])]


@pytest.mark.parametrize("token", ["admv_unknown", "not-even-a-token", ""])
async def test_an_unknown_token_is_invalid(gql: GraphQL, world: World, token: str) -> None:
    found = await INVITATION_ACCEPT.refused(gql, {"token": token}, token=world.member_token)
    assert found == [("TOKEN_INVALID", ["input", "token"])]


async def test_a_revoked_link_is_invalid(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    invitee = await factory.user("new@own.test")
    issued = await support.invitation(db, world.own, "new@own.test", revoked=True)
    found = await INVITATION_ACCEPT.refused(
        gql, {"token": issued.token}, token=await factory.session_token(invitee)
    )
    assert found == [("TOKEN_INVALID", ["input", "token"])]


async def test_an_expired_link_is_refused(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    invitee = await factory.user("new@own.test")
    issued = await support.invitation(db, world.own, "new@own.test")
    with clock.travel(timedelta(days=8)):
        session = await factory.session_token(invitee)
        found = await INVITATION_ACCEPT.refused(gql, {"token": issued.token}, token=session)
        listed = await gql.ok(
            "{ invitations(filter: {status: EXPIRED}) { nodes { email status } } }",
            token=world.master,
        )
    assert found == [("TOKEN_EXPIRED", ["input", "token"])]
    assert listed["invitations"]["nodes"] == [{"email": "new@own.test", "status": "EXPIRED"}]
    assert await memberships_of(db, invitee) == []


async def test_the_link_is_for_the_invited_email_only(
    gql: GraphQL, world: World, db: Database
) -> None:
    issued = await support.invitation(db, world.own, "someone@else.test")
    before = await support.counts(db)
    found = await INVITATION_ACCEPT.refused(gql, {"token": issued.token}, token=world.member_token)
    assert found == [("FORBIDDEN", ["input", "token"])]
    assert await support.counts(db) == before


async def test_a_deactivated_customer_cannot_be_joined(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    dormant = await factory.customer("dormant", status=CustomerStatus.DEACTIVATED)
    invitee = await factory.user("new@own.test")
    issued = await support.invitation(db, dormant, "new@own.test")
    found = await INVITATION_ACCEPT.refused(
        gql, {"token": issued.token}, token=await factory.session_token(invitee)
    )
    assert found == [("INVALID_STATE", ["input", "token"])]


async def test_a_master_key_is_nobody_to_add(gql: GraphQL, world: World, db: Database) -> None:
    issued = await support.invitation(db, world.own, "new@own.test")
    found = await INVITATION_ACCEPT.refused(gql, {"token": issued.token}, token=world.master)
    assert found == [("FORBIDDEN", ["input", "token"])]


async def test_accepting_as_an_existing_member_keeps_one_row(
    gql: GraphQL, world: World, db: Database
) -> None:
    issued = await support.invitation(db, world.own, "member@own.test", MemberRole.ADMIN)
    payload = await INVITATION_ACCEPT.ok(gql, {"token": issued.token}, token=world.member_token)
    assert payload["role"] == "MEMBER"  # the membership they already had is kept as it is
    assert len(await memberships_of(db, world.member)) == 1


async def test_accept_dry_run_and_replay(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    invitee = await factory.user("new@own.test")
    session = await factory.session_token(invitee)
    issued = await support.invitation(db, world.own, "new@own.test")
    before = await support.counts(db)
    dry = await INVITATION_ACCEPT.ok(gql, {"token": issued.token}, token=session, dry_run=True)
    assert dry["role"] == "MEMBER"
    assert await support.counts(db) == before
    first = await INVITATION_ACCEPT.send(gql, {"token": issued.token}, token=session, key="a")
    again = await INVITATION_ACCEPT.send(gql, {"token": issued.token}, token=session, key="a")
    assert again.headers.get("idempotent-replayed") == "true"
    for name in ("customerId", "role", "userErrors"):
        assert again.data["invitationAccept"][name] == first.data["invitationAccept"][name]
    assert len(await memberships_of(db, invitee)) == 1


async def test_accept_permissions(gql: GraphQL, world: World, db: Database) -> None:
    issued = await support.invitation(db, world.own, "owner@own.test")
    anonymous = await INVITATION_ACCEPT.send(gql, {"token": issued.token}, token=None)
    assert anonymous.status == 401
    read_only = await INVITATION_ACCEPT.send(
        gql, {"token": issued.token}, token=world.read_only_token
    )
    assert read_only.codes == ["READ_ONLY_SESSION"]


# ---------------------------------------------------------------- the invitations list

LIST = """
query($f: InvitationFilter) {
  invitations(filter: $f) { totalCount nodes { email status customer { slug } } }
}"""


async def test_session_admins_list_only_their_customers_invitations(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.invitation(db, world.own, "a@own.test")
    await support.invitation(db, world.own, "b@own.test", revoked=True)
    await support.invitation(db, world.other, "c@other.test")
    scoped = await gql.ok(LIST, token=world.admin_token)
    assert scoped["invitations"]["totalCount"] == 2
    assert {node["customer"]["slug"] for node in scoped["invitations"]["nodes"]} == {"own-co"}
    other = await gql.ok(
        LIST, {"f": {"customerId": gid("cus", world.other)}}, token=world.owner_token
    )
    assert other["invitations"]["totalCount"] == 0
    assert (await gql.ok(LIST, token=world.member_token))["invitations"]["totalCount"] == 0
    everything = await gql.ok(LIST, token=world.master)
    assert everything["invitations"]["totalCount"] == 3
    revoked = await gql.ok(LIST, {"f": {"status": "REVOKED"}}, token=world.master)
    assert revoked["invitations"]["nodes"] == [
        {"email": "b@own.test", "status": "REVOKED", "customer": {"slug": "own-co"}}
    ]


async def test_customer_invitations_filter_by_status(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.invitation(db, world.own, "a@own.test")
    await support.invitation(db, world.own, "b@own.test", revoked=True)
    query = """
        query($status: InvitationStatus) {
          customers { nodes { slug invitations(status: $status) { totalCount nodes { email } } } }
        }"""
    data = await gql.ok(query, {"status": "PENDING"}, token=world.owner_token)
    assert data["customers"]["nodes"][0]["invitations"] == {
        "totalCount": 1,
        "nodes": [{"email": "a@own.test"}],
    }
