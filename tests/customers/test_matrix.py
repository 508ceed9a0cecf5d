"""Every customers mutation against every kind of caller, plus dry runs and idempotent replays.

Callers: a master key and a staff session (MASTER); the OWNER and the ADMIN of own-co; the OWNER
of other-co; a plain MEMBER of own-co (a session without customers); a read-only impersonation
of own-co's OWNER. Each case targets own-co, so "another customer's admin" is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from app.db import Database
from app.models import CustomerStatus, MemberRole
from tests.customers import support
from tests.helpers import Factory, GraphQL, Mutation, World, gid

OK = "ok"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"
READ_ONLY = "READ_ONLY_SESSION"
CALLERS = ("master_key", "staff", "owner", "admin", "outsider", "member", "read_only")


@dataclass
class Setup:
    world: World
    tokens: dict[str, str]
    ids: dict[str, str]


@pytest.fixture
async def setup(world: World, factory: Factory, db: Database) -> Setup:
    await factory.user("fresh@new.test")
    await factory.customer("orphan-co", billing_email="fresh@new.test")
    # memberAdd's session admins may add only someone already in their scope: a colleague from
    # another customer they administer.
    sister = await factory.customer("sister-co")
    await factory.member(sister, world.owner, MemberRole.OWNER)
    await factory.member(sister, world.admin, MemberRole.ADMIN)
    await factory.member(sister, await factory.user("colleague@sister.test"))
    dormant = await factory.customer("dormant-co", status=CustomerStatus.DEACTIVATED)
    project = await support.project(db, world.own)
    pending = await support.invitation(db, world.own, "pending@new.test")
    tokens = {
        "master_key": world.master,
        "staff": world.staff_token,
        "owner": world.owner_token,
        "admin": world.admin_token,
        "outsider": await factory.session_token(world.outsider),
        "member": world.member_token,
        "read_only": world.read_only_token,
    }
    ids = {
        "own": gid("cus", world.own),
        "dormant": gid("cus", dormant),
        "member": gid("usr", world.member),
        "project": gid("prj", project),
        "pending": gid("inv", pending.invitation),
    }
    return Setup(world, tokens, ids)


@dataclass(frozen=True)
class Case:
    mutation: Mutation
    input: Callable[[dict[str, str]], dict[str, Any] | None]
    master_only: bool = False
    # Audit events one call writes: a customer created on a plan is also subscribed to it.
    audit_events: int = 1


CASES: dict[str, Case] = {
    case.mutation.name: case
    for case in (
        Case(
            Mutation("customerCreate", "customer { slug plan { code } }"),
            lambda ids: {
                "slug": "new-co",
                "name": "New Co",
                "billingEmail": "billing@new.test",
                "planCode": "pro",
            },
            master_only=True,
            audit_events=2,
        ),
        Case(
            Mutation("customerUpdate", "customer { name billingEmail }"),
            lambda ids: {
                "customerId": ids["own"],
                "name": "Own Renamed",
                "billingEmail": "a@own.test",
            },
        ),
        Case(
            Mutation("customerDeactivate", "customer { status }"),
            lambda ids: {"customerId": ids["own"], "reason": "Churned"},
            master_only=True,
        ),
        Case(
            Mutation("customerReactivate", "customer { status }"),
            lambda ids: {"customerId": ids["dormant"]},
            master_only=True,
        ),
        Case(
            Mutation("customerNoteCreate", "customerNote { body }"),
            lambda ids: {"customerId": ids["own"], "body": "Called them."},
            master_only=True,
        ),
        Case(
            Mutation("memberAdd", "membership { role user { email } }"),
            lambda ids: {
                "customerId": ids["own"],
                "email": "colleague@sister.test",
                "role": "MEMBER",
            },
        ),
        Case(
            Mutation("memberRoleUpdate", "membership { role }"),
            lambda ids: {"customerId": ids["own"], "userId": ids["member"], "role": "ADMIN"},
        ),
        Case(
            Mutation("memberRemove", "removedMembershipId customer { slug }"),
            lambda ids: {"customerId": ids["own"], "userId": ids["member"]},
        ),
        Case(
            Mutation("membersBackfill", "created promoted skipped", takes_input=False),
            lambda ids: None,
            master_only=True,
        ),
        Case(
            Mutation("invitationCreate", "invitation { email status } acceptUrl"),
            lambda ids: {"customerId": ids["own"], "email": "invitee@new.test", "role": "MEMBER"},
        ),
        Case(
            Mutation("invitationRevoke", "invitation { status }"),
            lambda ids: {"invitationId": ids["pending"]},
        ),
        Case(
            Mutation("projectCreate", "project { slug }"),
            lambda ids: {"customerId": ids["own"], "name": "Web", "slug": "web"},
        ),
        Case(
            Mutation("projectUpdate", "project { name }"),
            lambda ids: {"projectId": ids["project"], "name": "Renamed"},
        ),
        Case(
            Mutation("projectDelete", "deletedProjectId customer { slug }"),
            lambda ids: {"projectId": ids["project"]},
        ),
    )
}


def expected(caller: str, case: Case) -> str:
    if caller == "read_only":
        return READ_ONLY
    if caller in ("master_key", "staff"):
        return OK
    if case.master_only:
        return FORBIDDEN
    return OK if caller in ("owner", "admin") else NOT_FOUND


MATRIX = [
    pytest.param(caller, operation, expected(caller, CASES[operation]), id=f"{caller}-{operation}")
    for operation in CASES
    for caller in CALLERS
]


@pytest.mark.parametrize(("caller", "operation", "outcome"), MATRIX)
async def test_permission(
    gql: GraphQL, setup: Setup, db: Database, caller: str, operation: str, outcome: str
) -> None:
    case = CASES[operation]
    before = await support.counts(db)
    response = await case.mutation.send(gql, case.input(setup.ids), token=setup.tokens[caller])
    assert response.status == 200, response.body
    after = await support.counts(db)
    if outcome == OK:
        assert response.errors == []
        payload = response.data[operation]
        assert payload["userErrors"] == []
        # It acted, and says what it did.
        assert after["audit_events"] == before["audit_events"] + case.audit_events
        reported = {key: value for key, value in payload.items() if key != "userErrors"}
        assert any(value not in (None, 0, []) for value in reported.values()), payload
        return
    assert after == before  # refused: nothing written, not even an audit event
    if outcome == NOT_FOUND:
        assert response.errors == []
        codes = [error["code"] for error in response.data[operation]["userErrors"]]
        assert codes == [NOT_FOUND]
    else:
        assert response.codes == [outcome]
        assert response.data == {operation: None}


@pytest.mark.parametrize("operation", list(CASES))
async def test_dry_run_writes_nothing(
    gql: GraphQL, setup: Setup, db: Database, operation: str
) -> None:
    case = CASES[operation]
    before = await support.counts(db)
    payload = await case.mutation.ok(
        gql, case.input(setup.ids), token=setup.world.master, dry_run=True
    )
    assert await support.counts(db) == before
    # The dry run still reports what would have happened.
    reported = {key: value for key, value in payload.items() if key != "userErrors"}
    assert any(value not in (None, 0, []) for value in reported.values()), payload
    if operation == "invitationCreate":
        assert payload["acceptUrl"] is None  # a dry run issues no secret


@pytest.mark.parametrize("operation", list(CASES))
async def test_idempotent_replay_acts_once(
    gql: GraphQL, setup: Setup, db: Database, operation: str
) -> None:
    case = CASES[operation]
    key = f"k-{operation}"
    before = await support.counts(db)
    first = await case.mutation.send(gql, case.input(setup.ids), token=setup.world.master, key=key)
    assert first.data[operation]["userErrors"] == []
    assert "idempotent-replayed" not in first.headers
    acted = await support.counts(db)
    assert acted["audit_events"] == before["audit_events"] + case.audit_events
    assert acted["idempotency_records"] == before["idempotency_records"] + 1

    again = await case.mutation.send(gql, case.input(setup.ids), token=setup.world.master, key=key)
    assert again.headers.get("idempotent-replayed") == "true"
    assert await support.counts(db) == acted
    replayed = dict(again.data[operation])
    original = dict(first.data[operation])
    if operation == "invitationCreate":
        assert original.pop("acceptUrl").startswith("http")
        assert replayed.pop("acceptUrl") is None  # the secret is never stored, so never replayed
    assert replayed == original


async def test_a_reused_key_with_another_input_is_refused(gql: GraphQL, setup: Setup) -> None:
    project_create = Mutation("projectCreate", "project { slug }")
    first = {"customerId": setup.ids["own"], "name": "Web", "slug": "web"}
    await project_create.ok(gql, first, token=setup.world.master, key="k")
    errors = await project_create.send(
        gql, {**first, "slug": "other"}, token=setup.world.master, key="k"
    )
    assert [e["code"] for e in errors.data["projectCreate"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_REUSED"
    ]
