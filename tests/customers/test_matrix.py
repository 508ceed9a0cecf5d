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
from tests.helpers import Factory, GraphQL, World, gid

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
    select: str
    input: Callable[[dict[str, str]], dict[str, Any] | None]
    master_only: bool = False


CASES: dict[str, Case] = {
    "customerCreate": Case(
        "customer { slug plan { code } }",
        lambda ids: {
            "slug": "new-co",
            "name": "New Co",
            "billingEmail": "billing@new.test",
            "planCode": "pro",
        },
        master_only=True,
    ),
    "customerUpdate": Case(
        "customer { name billingEmail }",
        lambda ids: {"customerId": ids["own"], "name": "Own Renamed", "billingEmail": "a@own.test"},
    ),
    "customerDeactivate": Case(
        "customer { status }",
        lambda ids: {"customerId": ids["own"], "reason": "Churned"},
        master_only=True,
    ),
    "customerReactivate": Case(
        "customer { status }", lambda ids: {"customerId": ids["dormant"]}, master_only=True
    ),
    "customerNoteCreate": Case(
        "customerNote { body }",
        lambda ids: {"customerId": ids["own"], "body": "Called them."},
        master_only=True,
    ),
    "memberAdd": Case(
        "membership { role user { email } }",
        lambda ids: {"customerId": ids["own"], "email": "colleague@sister.test", "role": "MEMBER"},
    ),
    "memberRoleUpdate": Case(
        "membership { role }",
        lambda ids: {"customerId": ids["own"], "userId": ids["member"], "role": "ADMIN"},
    ),
    "memberRemove": Case(
        "removedMembershipId customer { slug }",
        lambda ids: {"customerId": ids["own"], "userId": ids["member"]},
    ),
    "membersBackfill": Case("created promoted skipped", lambda ids: None, master_only=True),
    "invitationCreate": Case(
        "invitation { email status } acceptUrl",
        lambda ids: {"customerId": ids["own"], "email": "invitee@new.test", "role": "MEMBER"},
    ),
    "invitationRevoke": Case("invitation { status }", lambda ids: {"invitationId": ids["pending"]}),
    "projectCreate": Case(
        "project { slug }", lambda ids: {"customerId": ids["own"], "name": "Web", "slug": "web"}
    ),
    "projectUpdate": Case(
        "project { name }", lambda ids: {"projectId": ids["project"], "name": "Renamed"}
    ),
    "projectDelete": Case(
        "deletedProjectId customer { slug }", lambda ids: {"projectId": ids["project"]}
    ),
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
    response = await support.mutate(
        gql, operation, case.input(setup.ids), token=setup.tokens[caller], select=case.select
    )
    assert response.status == 200, response.body
    after = await support.counts(db)
    if outcome == OK:
        assert response.errors == []
        payload = response.data[operation]
        assert payload["userErrors"] == []
        # It acted, and says what it did.
        assert after["audit_events"] == before["audit_events"] + 1
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
    payload = await support.ok(
        gql,
        operation,
        case.input(setup.ids),
        token=setup.world.master,
        select=case.select,
        dry_run=True,
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
    arguments: dict[str, Any] = {
        "token": setup.world.master,
        "select": case.select,
        "key": f"k-{operation}",
    }
    before = await support.counts(db)
    first = await support.mutate(gql, operation, case.input(setup.ids), **arguments)
    assert first.data[operation]["userErrors"] == []
    assert "idempotent-replayed" not in first.headers
    acted = await support.counts(db)
    assert acted["audit_events"] == before["audit_events"] + 1
    assert acted["idempotency_records"] == before["idempotency_records"] + 1

    again = await support.mutate(gql, operation, case.input(setup.ids), **arguments)
    assert again.headers.get("idempotent-replayed") == "true"
    assert await support.counts(db) == acted
    replayed = dict(again.data[operation])
    original = dict(first.data[operation])
    if operation == "invitationCreate":
        assert original.pop("acceptUrl").startswith("http")
        assert replayed.pop("acceptUrl") is None  # the secret is never stored, so never replayed
    assert replayed == original


async def test_a_reused_key_with_another_input_is_refused(gql: GraphQL, setup: Setup) -> None:
    arguments: dict[str, Any] = {
        "token": setup.world.master,
        "select": "project { slug }",
        "key": "k",
    }
    first = {"customerId": setup.ids["own"], "name": "Web", "slug": "web"}
    await support.ok(gql, "projectCreate", first, **arguments)
    errors = await support.mutate(gql, "projectCreate", {**first, "slug": "other"}, **arguments)
    assert [e["code"] for e in errors.data["projectCreate"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_REUSED"
    ]
