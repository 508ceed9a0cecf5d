"""`me`: who the caller is, for every kind of caller."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.kit.crypto import token_hash
from app.kit.ids import decode
from app.models import MemberRole
from app.models.tables import LOGIN_SESSIONS
from tests.helpers import Factory, GraphQL, World, gid
from tests.support import master_key_id

ME = """{
  me {
    scope
    readOnly
    impersonatorId
    user { id email }
    customers { id slug }
    impersonator { id email }
  }
}"""


async def test_me_master_key(gql: GraphQL, world: World, db: Any) -> None:
    data = await gql.ok(ME.replace("readOnly", "readOnly masterKey { id }"), token=world.master)
    assert data["me"] == {
        "scope": "MASTER",
        "readOnly": False,
        "impersonatorId": None,
        "masterKey": {"id": await master_key_id(db, world.master)},
        "user": None,
        "customers": [],
        "impersonator": None,
    }


async def test_me_staff_session_is_master(gql: GraphQL, world: World) -> None:
    data = await gql.ok(ME, token=world.staff_token)
    assert data["me"] == {
        "scope": "MASTER",
        "readOnly": False,
        "impersonatorId": None,
        "user": {"id": gid("usr", world.staff), "email": "staff@admiral.test"},
        "customers": [],
        "impersonator": None,
    }


async def test_me_staff_flag_without_allowlist_is_session(gql: GraphQL, factory: Factory) -> None:
    user = await factory.user("not-listed@admiral.test", is_staff=True)
    data = await gql.ok(ME, token=await factory.session_token(user))
    assert data["me"]["scope"] == "SESSION"
    assert data["me"]["user"] == {"id": gid("usr", user), "email": "not-listed@admiral.test"}


async def test_me_allowlisted_email_without_staff_flag_is_session(
    gql: GraphQL, factory: Factory
) -> None:
    # The allowlist alone is not enough: the user must also be flagged as staff.
    user = await factory.user("staff@admiral.test", is_staff=False)
    data = await gql.ok(ME, token=await factory.session_token(user))
    assert data["me"]["scope"] == "SESSION"


async def test_me_session_admin(gql: GraphQL, world: World) -> None:
    for token, user in ((world.owner_token, world.owner), (world.admin_token, world.admin)):
        data = await gql.ok(ME, token=token)
        assert data["me"] == {
            "scope": "SESSION",
            "readOnly": False,
            "impersonatorId": None,
            "user": {"id": gid("usr", user), "email": user.email},
            "customers": [{"id": gid("cus", world.own), "slug": "own-co"}],
            "impersonator": None,
        }


async def test_me_admin_of_two_customers_lists_both(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await factory.member(world.other, world.admin, MemberRole.ADMIN)
    data = await gql.ok("{ me { customers { slug } } }", token=world.admin_token)
    assert data["me"]["customers"] == [{"slug": "other-co"}, {"slug": "own-co"}]


async def test_me_plain_member_has_no_customers(gql: GraphQL, world: World) -> None:
    data = await gql.ok(ME, token=world.member_token)
    assert data["me"]["scope"] == "SESSION"
    assert data["me"]["customers"] == []
    assert data["me"]["user"]["email"] == "member@own.test"


async def test_me_read_only_impersonation(gql: GraphQL, world: World) -> None:
    data = await gql.ok(ME, token=world.read_only_token)
    assert data["me"] == {
        "scope": "SESSION",
        "readOnly": True,
        "impersonatorId": gid("usr", world.staff),
        "user": {"id": gid("usr", world.owner), "email": "owner@own.test"},
        "customers": [{"id": gid("cus", world.own), "slug": "own-co"}],
        "impersonator": {"id": gid("usr", world.staff), "email": "staff@admiral.test"},
    }


async def test_impersonating_a_staff_user_never_grants_master(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    token = await factory.session_token(world.staff, impersonator=world.staff, read_only=True)
    data = await gql.ok("{ me { scope readOnly } }", token=token)
    assert data["me"] == {"scope": "SESSION", "readOnly": True}


async def test_me_impersonated_by_a_master_key(
    gql: GraphQL, world: World, factory: Factory, db: Any
) -> None:
    token = await factory.session_token(world.owner, read_only=True)
    key_id = await master_key_id(db, world.master)
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(LOGIN_SESSIONS)
            .where(LOGIN_SESSIONS.c.token_hash == token_hash(token))
            .values(impersonator_key_id=decode(key_id, "mky"))
        )
    data = await gql.ok(ME, token=token)
    assert data["me"]["scope"] == "SESSION"
    assert data["me"]["readOnly"] is True
    assert data["me"]["impersonatorId"] == key_id
    assert data["me"]["impersonator"] == {"id": key_id, "email": None}
    detail = await gql.ok("{ me { impersonator { id kind name user { id } } } }", token=token)
    assert detail["me"]["impersonator"] == {
        "id": key_id,
        "kind": "MASTER_KEY",
        "name": "test",
        "user": None,
    }
    assert data["me"]["user"]["email"] == "owner@own.test"


SESSION = "{ me { session { id kind readOnly expiresAt } } }"


async def test_me_session_is_the_one_in_use(gql: GraphQL, world: World, db: Any) -> None:
    owner = await gql.ok(SESSION, token=world.owner_token)
    impersonation = await gql.ok(SESSION, token=world.read_only_token)
    master = await gql.ok(SESSION, token=world.master)
    async with db.write_engine.connect() as connection:
        rows = {
            row.token_hash: row
            for row in await connection.execute(
                sa.select(LOGIN_SESSIONS).where(
                    LOGIN_SESSIONS.c.token_hash.in_(
                        [token_hash(world.owner_token), token_hash(world.read_only_token)]
                    )
                )
            )
        }
    own = rows[token_hash(world.owner_token)]
    assert owner["me"]["session"]["id"] == gid("ses", own)
    assert owner["me"]["session"]["kind"] == "LOGIN"
    assert owner["me"]["session"]["expiresAt"].startswith(own.expires_at.isoformat()[:19])
    assert impersonation["me"]["session"]["kind"] == "IMPERSONATION"
    assert impersonation["me"]["session"]["readOnly"] is True
    assert master["me"]["session"] is None
