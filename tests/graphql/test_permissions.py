"""Who may call what (docs/architecture.md: scopes): every query and mutation of the schema, for every kind of caller.

Callers: anonymous, a master key, a staff session (MASTER), a staff user missing from
ADMIRAL_STAFF_EMAILS (SESSION), session admins (OWNER, ADMIN) of one customer, the OWNER of
another customer, a plain MEMBER (SESSION without customers), and a read-only impersonation.
Allowed mutations run as dry runs, so the matrix changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from graphql import ObjectTypeDefinitionNode, parse

from app.graphql.extensions import ANONYMOUS_FIELDS
from app.graphql.schema import sdl
from app.kit import clock
from app.kit.actor import Actor, ActorType
from app.models import CustomerStatus, MemberRole
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, World, gid
from tests.support import audit_events, counts, master_key_id, record_event

OK = "ok"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
READ_ONLY = "READ_ONLY_SESSION"

CALLERS = (
    "anonymous",
    "master_key",
    "staff",
    "staff_unlisted",
    "owner",
    "admin",
    "member",
    "outsider",
    "read_only",
)
MASTERS = {"master_key", "staff"}
SESSIONS = {"staff_unlisted", "owner", "admin", "member", "outsider"}


@dataclass
class Setup:
    world: World
    tokens: dict[str, str | None]
    variables: dict[str, dict[str, Any]]


@pytest.fixture
async def setup(world: World, factory: Factory, db: Any) -> Setup:
    unlisted = await factory.user("staff2@admiral.test", is_staff=True)
    spare_key = await factory.master_key("spare")
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "master_key": world.master,
        "staff": world.staff_token,
        "staff_unlisted": await factory.session_token(unlisted),
        "owner": world.owner_token,
        "admin": world.admin_token,
        "member": world.member_token,
        "outsider": await factory.session_token(world.outsider),
        "read_only": world.read_only_token,
    }
    variables = {
        "node": {"id": gid("cus", world.own)},
        "user": {"id": gid("usr", world.owner)},
        "customer": {"id": gid("cus", world.own)},
        "masterKeyRevoke": {"id": await master_key_id(db, spare_key)},
        "sessionCreate": {"email": world.owner.email, "password": DEFAULT_PASSWORD},
    }
    return Setup(world, tokens, variables)


OPERATIONS: dict[str, str] = {
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "me": "{ me { scope } }",
    "masterKeys": "{ masterKeys { totalCount } }",
    "users": "{ users { totalCount } }",
    "user": "query($id: ID!) { user(id: $id) { id } }",
    "customers": "{ customers { totalCount } }",
    "customer": "query($id: ID!) { customer(id: $id) { id } }",
    "auditEvents": "{ auditEvents { totalCount } }",
    "auditChainVerify": "{ auditChainVerify { ok } }",
    "sessionCreate": """
        mutation($email: String!, $password: String!) {
          sessionCreate(input: {email: $email, password: $password}, dryRun: true) {
            userErrors { code } viewer { id }
          }
        }""",
    "sessionRevoke": """
        mutation { sessionRevoke(input: {}, dryRun: true) { userErrors { code } } }""",
    "masterKeyCreate": """
        mutation { masterKeyCreate(input: {name: "matrix"}, dryRun: true) {
          userErrors { code } masterKey { name }
        } }""",
    "masterKeyRevoke": """
        mutation($id: ID!) { masterKeyRevoke(input: {masterKeyId: $id}, dryRun: true) {
          userErrors { code } masterKey { id }
        } }""",
}
MUTATIONS = {"sessionCreate", "sessionRevoke", "masterKeyCreate", "masterKeyRevoke"}
MASTER_ONLY_OPERATIONS = {"masterKeys", "auditChainVerify", "masterKeyCreate", "masterKeyRevoke"}


def expected(caller: str, operation: str) -> str:
    if caller == "anonymous":
        return OK if operation == "sessionCreate" else UNAUTHENTICATED
    if caller == "read_only" and operation in MUTATIONS:
        return READ_ONLY
    if caller in MASTERS:
        return OK
    return FORBIDDEN if operation in MASTER_ONLY_OPERATIONS else OK


MATRIX = [
    pytest.param(caller, operation, expected(caller, operation), id=f"{caller}-{operation}")
    for caller in CALLERS
    for operation in OPERATIONS
]


@pytest.mark.parametrize(("caller", "operation", "outcome"), MATRIX)
async def test_permission_matrix(
    gql: GraphQL, setup: Setup, db: Any, caller: str, operation: str, outcome: str
) -> None:
    before = await counts(db)
    response = await gql(
        OPERATIONS[operation], setup.variables.get(operation), token=setup.tokens[caller]
    )
    if outcome == UNAUTHENTICATED:
        assert response.status == 401, response.body
        assert response.codes == [UNAUTHENTICATED]
        assert response.data is None
        assert response.headers["www-authenticate"].startswith("Bearer")
    elif outcome == OK:
        assert response.status == 200, response.body
        assert response.errors == []
        if operation in {"node", "user", "customer"}:
            # Objects of own-co: visible in scope, null (and no error) outside it.
            visible = caller in MASTERS | {"owner", "admin", "read_only"}
            assert (response.data[operation] is not None) is visible
        else:
            assert response.data[operation] is not None
        if operation in MUTATIONS:
            errors = response.data[operation]["userErrors"]
            # A master key has no session of its own to revoke: it must name one.
            wanted = (
                [{"code": "REQUIRED"}]
                if (operation, caller)
                == (
                    "sessionRevoke",
                    "master_key",
                )
                else []
            )
            assert errors == wanted
    else:
        assert response.status == 200, response.body
        assert response.codes == [outcome]
        assert response.errors[0]["path"] == [operation]
        assert response.data == {operation: None}
    # Queries and dry runs write nothing, allowed or not; only an impersonated request is
    # itself audited (docs/architecture.md: scopes), whatever it asked for.
    await assert_nothing_written(db, before, impersonated=caller == "read_only")


async def assert_nothing_written(db: Any, before: dict[str, int], *, impersonated: bool) -> None:
    after = await counts(db)
    if impersonated:
        assert after["audit_events"] == before["audit_events"] + 1
        assert (await audit_events(db))[-1].action == "impersonation.request"
        after["audit_events"] -= 1
    assert after == before


MASTER_ONLY_FIELDS = {
    "User.lastSeenAt": ("{ me { user { lastSeenAt } } }", ["me", "user", "lastSeenAt"]),
    "User.isStaff": ("{ me { user { isStaff } } }", ["me", "user", "isStaff"]),
    "User.notesCount": ("{ me { user { notesCount } } }", ["me", "user", "notesCount"]),
    "User.notes": ("{ me { user { notes { totalCount } } } }", ["me", "user", "notes"]),
    "Me.masterKey": ("{ me { masterKey { id } } }", ["me", "masterKey"]),
    "AuditEvent.hash": (
        "{ auditEvents { nodes { hash } } }",
        ["auditEvents", "nodes", 0, "hash"],
    ),
    "AuditEvent.prevHash": (
        "{ auditEvents { nodes { prevHash } } }",
        ["auditEvents", "nodes", 0, "prevHash"],
    ),
    "AuditEvent.clientAddr": (
        "{ auditEvents { nodes { clientAddr } } }",
        ["auditEvents", "nodes", 0, "clientAddr"],
    ),
}


def dig(data: Any, path: list[Any]) -> Any:
    for step in path:
        data = data[step]
    return data


@pytest.mark.parametrize("field", list(MASTER_ONLY_FIELDS))
async def test_master_only_field_is_null_and_forbidden_for_a_session_admin(
    gql: GraphQL, world: World, db: Any, field: str
) -> None:
    await record_event(db, "customer.touch", customer_id=world.own.id)
    query, path = MASTER_ONLY_FIELDS[field]
    response = await gql(query, token=world.owner_token)
    assert response.status == 200
    assert response.codes == [FORBIDDEN]
    assert response.errors[0]["path"] == path
    assert dig(response.data, path) is None
    # The rest of the answer is still there.
    assert response.data is not None


@pytest.mark.parametrize("field", list(MASTER_ONLY_FIELDS))
async def test_master_only_field_is_readable_by_a_staff_session(
    gql: GraphQL, world: World, factory: Factory, db: Any, field: str
) -> None:
    await factory.note(world.staff, "Staff note")
    actor = Actor(ActorType.SYSTEM, "test", client_addr="198.51.100.1")
    await record_event(db, "customer.touch", customer_id=world.own.id, actor=actor)
    query, path = MASTER_ONLY_FIELDS[field]
    # Two minutes on, the session is stale enough to be touched: the user's lastSeenAt is set.
    with clock.travel(timedelta(minutes=2)):
        await gql.ok("{ __typename }", token=world.staff_token)
        data = await gql.ok(query, token=world.staff_token)
    value = dig(data, path)
    if field == "Me.masterKey":
        assert value is None  # a staff session uses no master key, and may ask
    elif field == "User.isStaff":
        assert value is True
    elif field == "User.notesCount":
        assert value == 1
    elif field == "User.notes":
        assert value == {"totalCount": 1}
    elif field in ("AuditEvent.hash", "AuditEvent.prevHash"):
        assert isinstance(value, str)
        assert len(value) == 64
    elif field == "User.lastSeenAt":
        assert value is not None
    else:
        assert value == "198.51.100.1"


async def test_master_key_reads_its_own_master_key_field(
    gql: GraphQL, world: World, db: Any
) -> None:
    data = await gql.ok("{ me { masterKey { id name active } } }", token=world.master)
    assert data["me"]["masterKey"] == {
        "id": await master_key_id(db, world.master),
        "name": "test",
        "active": True,
    }


# ---------------------------------------------------------------- row scope


USERS_QUERY = "{ users(first: 200) { totalCount nodes { email } } }"
CUSTOMERS_QUERY = "{ customers(first: 200) { totalCount nodes { slug } } }"


async def test_session_admin_lists_only_members_of_own_customer(gql: GraphQL, world: World) -> None:
    for token in (world.owner_token, world.admin_token):
        data = await gql.ok(USERS_QUERY, token=token)
        emails = sorted(node["email"] for node in data["users"]["nodes"])
        assert emails == ["admin@own.test", "member@own.test", "owner@own.test"]
        assert data["users"]["totalCount"] == 3


async def test_master_lists_every_user(gql: GraphQL, world: World) -> None:
    data = await gql.ok(USERS_QUERY, token=world.master)
    assert data["users"]["totalCount"] == 5
    assert "outsider@other.test" in {node["email"] for node in data["users"]["nodes"]}


async def test_other_customers_owner_lists_only_their_own(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    token = await factory.session_token(world.outsider)
    users = await gql.ok(USERS_QUERY, token=token)
    assert [node["email"] for node in users["users"]["nodes"]] == ["outsider@other.test"]
    customers = await gql.ok(CUSTOMERS_QUERY, token=token)
    assert customers["customers"] == {"totalCount": 1, "nodes": [{"slug": "other-co"}]}


async def test_session_admin_lists_only_own_customer(gql: GraphQL, world: World) -> None:
    data = await gql.ok(CUSTOMERS_QUERY, token=world.owner_token)
    assert data["customers"] == {"totalCount": 1, "nodes": [{"slug": "own-co"}]}
    everything = await gql.ok(CUSTOMERS_QUERY, token=world.master)
    assert everything["customers"]["totalCount"] == 2


@pytest.mark.parametrize("caller", ["member", "staff_unlisted"])
async def test_session_without_customers_sees_no_rows(
    gql: GraphQL, world: World, factory: Factory, db: Any, caller: str
) -> None:
    await record_event(db, "customer.touch", customer_id=world.own.id)
    if caller == "member":
        token = world.member_token
    else:
        token = await factory.session_token(await factory.user("x@admiral.test", is_staff=True))
    data = await gql.ok(
        "{ users { totalCount } customers { totalCount } auditEvents { totalCount } }",
        token=token,
    )
    assert data == {
        "users": {"totalCount": 0},
        "customers": {"totalCount": 0},
        "auditEvents": {"totalCount": 0},
    }


async def test_objects_of_another_customer_are_null_without_error(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    membership = await factory.member(world.other, await factory.user("b@other.test"))
    query = """
        query($user: ID!, $customer: ID!, $membership: ID!) {
          user(id: $user) { id }
          customer(id: $customer) { id }
          bySlug: customer(slug: "other-co") { id }
          userNode: node(id: $user) { id }
          customerNode: node(id: $customer) { id }
          membershipNode: node(id: $membership) { id }
        }"""
    variables = {
        "user": gid("usr", world.outsider),
        "customer": gid("cus", world.other),
        "membership": gid("mem", membership),
    }
    refused = await gql.ok(query, variables, token=world.owner_token)
    assert refused == dict.fromkeys(refused, None)
    assert len(refused) == 6
    allowed = await gql.ok(query, variables, token=world.master)
    assert all(value is not None for value in allowed.values())


async def test_own_customer_objects_resolve_for_a_session_admin(gql: GraphQL, world: World) -> None:
    query = """
        query($user: ID!, $customer: ID!) {
          user(id: $user) { email }
          customer(id: $customer) { slug }
          bySlug: customer(slug: "OWN-CO") { slug }
          node(id: $user) { ... on User { email } }
        }"""
    data = await gql.ok(
        query,
        {"user": gid("usr", world.member), "customer": gid("cus", world.own)},
        token=world.admin_token,
    )
    assert data == {
        "user": {"email": "member@own.test"},
        "customer": {"slug": "own-co"},
        "bySlug": {"slug": "own-co"},
        "node": {"email": "member@own.test"},
    }


async def test_memberships_of_a_visible_user_hide_other_customers(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    # The member also belongs to the other customer: the owner of own-co must not learn that.
    await factory.member(world.other, world.member)
    query = "query($id: ID!) { user(id: $id) { memberships { role customer { slug } } } }"
    variables = {"id": gid("usr", world.member)}
    scoped = await gql.ok(query, variables, token=world.owner_token)
    assert scoped["user"]["memberships"] == [{"role": "MEMBER", "customer": {"slug": "own-co"}}]
    full = await gql.ok(query, variables, token=world.master)
    assert sorted(m["customer"]["slug"] for m in full["user"]["memberships"]) == [
        "other-co",
        "own-co",
    ]


async def test_customer_members_of_own_customer(gql: GraphQL, world: World) -> None:
    data = await gql.ok(
        "{ customers { nodes { members { totalCount nodes { role user { email } } } } } }",
        token=world.owner_token,
    )
    members = data["customers"]["nodes"][0]["members"]
    assert members["totalCount"] == 3
    assert sorted((m["role"], m["user"]["email"]) for m in members["nodes"]) == [
        ("ADMIN", "admin@own.test"),
        ("MEMBER", "member@own.test"),
        ("OWNER", "owner@own.test"),
    ]


async def test_master_keys_are_invisible_to_session_admins_through_node(
    gql: GraphQL, world: World, db: Any
) -> None:
    key_id = await master_key_id(db, world.master)
    query = "query($id: ID!) { node(id: $id) { id } }"
    assert await gql.ok(query, {"id": key_id}, token=world.owner_token) == {"node": None}
    assert await gql.ok(query, {"id": key_id}, token=world.master) == {"node": {"id": key_id}}


async def test_session_admin_sees_only_audit_events_of_own_customer(
    gql: GraphQL, world: World, db: Any
) -> None:
    await record_event(db, "customer.own", customer_id=world.own.id)
    await record_event(db, "customer.other", customer_id=world.other.id)
    await record_event(db, "platform.thing")
    query = "{ auditEvents { totalCount nodes { action customerId } } }"
    scoped = await gql.ok(query, token=world.owner_token)
    assert scoped["auditEvents"] == {
        "totalCount": 1,
        "nodes": [{"action": "customer.own", "customerId": gid("cus", world.own)}],
    }
    everything = await gql.ok(query, token=world.master)
    actions = {node["action"] for node in everything["auditEvents"]["nodes"]}
    assert {"customer.own", "customer.other", "platform.thing", "master_key.create"} <= actions


async def test_owner_of_a_deactivated_customer_administers_nothing(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    closed = await factory.customer("closed-co", status=CustomerStatus.DEACTIVATED)
    boss = await factory.user("boss@closed.test")
    await factory.member(closed, boss, MemberRole.OWNER)
    token = await factory.session_token(boss)
    data = await gql.ok("{ me { scope customers { slug } } customers { totalCount } }", token=token)
    assert data == {"me": {"scope": "SESSION", "customers": []}, "customers": {"totalCount": 0}}


async def test_refused_master_key_listing_leaks_nothing(gql: GraphQL, world: World) -> None:
    response = await gql("{ masterKeys { nodes { name prefix } } }", token=world.owner_token)
    assert response.data == {"masterKeys": None}
    assert response.codes == [FORBIDDEN]
    assert "admk_" not in str(response.body)


async def test_refused_mutations_write_nothing(gql: GraphQL, world: World, db: Any) -> None:
    before = await counts(db)
    for token in (world.owner_token, world.member_token):
        response = await Mutation("masterKeyCreate", "key").send(gql, {"name": "nope"}, token=token)
        assert response.codes == [FORBIDDEN]
    response = await Mutation("sessionRevoke", "session { id }").send(
        gql, {}, token=world.read_only_token
    )
    assert response.codes == [READ_ONLY]
    assert response.data == {"sessionRevoke": None}
    await assert_nothing_written(db, before, impersonated=True)
    # The read-only token still works afterwards: nothing was revoked.
    assert (await gql.ok("{ me { readOnly } }", token=world.read_only_token)) == {
        "me": {"readOnly": True}
    }


# ---------------------------------------------------------------- every root field, as declared


def root_fields() -> dict[str, dict[str, set[str]]]:
    """{"Query": {field: {directive, …}}, "Mutation": {…}} as the schema declares them."""
    found: dict[str, dict[str, set[str]]] = {}
    for definition in parse(sdl()).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value in (
            "Query",
            "Mutation",
        ):
            found[definition.name.value] = {
                field.name.value: {directive.name.value for directive in field.directives or ()}
                for field in definition.fields or ()
            }
    return found


def test_every_root_field_declares_who_may_use_it() -> None:
    fields = root_fields()
    assert set(OPERATIONS) <= set(fields["Query"]) | set(fields["Mutation"])
    for name, directives in fields["Query"].items():
        assert directives & {"isAuthenticated", "isMaster"}, name
    for name, directives in fields["Mutation"].items():
        assert "notReadOnly" in directives, name
        if name not in ANONYMOUS_FIELDS:
            assert directives & {"isAuthenticated", "isMaster"}, name


async def test_anonymous_callers_reach_no_root_field_but_login(gql: GraphQL) -> None:
    fields = root_fields()
    for kind, names in fields.items():
        for name in names:
            if name in ANONYMOUS_FIELDS:
                continue
            operation = "mutation" if kind == "Mutation" else "query"
            response = await gql(f"{operation} {{ {name} {{ __typename }} }}")
            assert response.status == 401, name
            assert response.codes == [UNAUTHENTICATED], name
