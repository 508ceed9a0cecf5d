"""What every users mutation promises (docs/architecture.md: scopes, conventions), checked for each one of them.

Dry run (nothing written), idempotent replay (acts once, `Idempotent-Replayed: true`), a key
reused with other input (IDEMPOTENCY_KEY_REUSED), an unknown target (NOT_FOUND), and permission
from both sides: master key and listed staff session allowed and audited as themselves; a session
admin refused with FORBIDDEN; a read-only impersonation refused with READ_ONLY_SESSION.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.db import Database
from app.kit.ids import encode
from app.models import NoteCategory, UserStatus
from app.models.tables import AUDIT_EVENTS, USER_NOTES
from tests.helpers import Factory, GraphQL, Mutation, World
from tests.users.support import (
    USER_BLOCK,
    USER_CREATE,
    USER_DELETE,
    USER_IMPERSONATE,
    USER_NOTE_CREATE,
    USER_NOTE_DELETE,
    USER_PASSWORD_RESET,
    USER_SIGN_OUT,
    USER_SUSPEND,
    USER_UNBLOCK,
    USER_UNSUSPEND,
    USER_UPDATE,
    codes,
    count,
    events,
    snapshot,
    uid,
    unknown_user_id,
)

Inputs = tuple[dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    mutation: Mutation
    action: str  # the audit action it records
    # The input to send and a different, equally valid one (for the reused-key test).
    prepare: Callable[[Factory, World], Awaitable[Inputs]]
    secrets: frozenset[str] = field(default_factory=frozenset)
    # The input naming an object that does not exist (None: the mutation names none).
    missing: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.mutation.name


async def _create(factory: Factory, world: World) -> Inputs:
    return (
        {"email": "new.person@example.com", "name": "New", "password": "a long enough password"},
        {"email": "someone.else@example.com", "name": "Else"},
    )


async def _update(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return {"userId": member, "name": "Renamed"}, {"userId": member, "name": "Renamed again"}


async def _suspend(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return (
        {"userId": member, "reason": "Chargebacks under review"},
        {"userId": member, "reason": "Something else", "durationHours": 2},
    )


async def _unsuspend(factory: Factory, world: World) -> Inputs:
    user = await factory.user(
        status=UserStatus.SUSPENDED, suspension_reason="Spam", suspended_by="test"
    )
    return {"userId": uid(user)}, {"userId": uid(user), "reason": "Resolved"}


async def _block(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return {"userId": member, "reason": "Fraud"}, {"userId": member, "reason": "Abuse"}


async def _unblock(factory: Factory, world: World) -> Inputs:
    user = await factory.user(status=UserStatus.BLOCKED, block_reason="Fraud")
    return {"userId": uid(user)}, {"userId": uid(user), "reason": "Appeal accepted"}


async def _delete(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return {"userId": member, "confirm": True}, {"userId": member, "confirm": True, "hard": True}


async def _password_reset(factory: Factory, world: World) -> Inputs:
    return {"userId": uid(world.member)}, {"userId": uid(world.admin)}


async def _sign_out(factory: Factory, world: World) -> Inputs:
    return {"userId": uid(world.member)}, {"userId": uid(world.admin)}


async def _impersonate(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return (
        {"userId": member, "readOnly": True, "minutes": 15},
        {"userId": member, "readOnly": True, "minutes": 30},
    )


async def _note_create(factory: Factory, world: World) -> Inputs:
    member = uid(world.member)
    return (
        {"userId": member, "category": "SUPPORT", "body": "Called about invoices"},
        {"userId": member, "category": "SUPPORT", "body": "Called again"},
    )


async def _note_delete(factory: Factory, world: World) -> Inputs:
    first = await factory.note(world.member, "First", NoteCategory.SUPPORT)
    second = await factory.note(world.member, "Second", NoteCategory.SUPPORT)
    return {"noteId": encode("not", first.id)}, {"noteId": encode("not", second.id)}


MISSING_USER = {"userId": "placeholder"}

CASES = [
    Case(USER_CREATE, "user.create", _create),
    Case(USER_UPDATE, "user.update", _update, missing={**MISSING_USER, "name": "X"}),
    Case(USER_SUSPEND, "user.suspend", _suspend, missing={**MISSING_USER, "reason": "X"}),
    Case(USER_UNSUSPEND, "user.unsuspend", _unsuspend, missing=MISSING_USER),
    Case(USER_BLOCK, "user.block", _block, missing={**MISSING_USER, "reason": "X"}),
    Case(USER_UNBLOCK, "user.unblock", _unblock, missing=MISSING_USER),
    Case(USER_DELETE, "user.delete", _delete, missing={**MISSING_USER, "confirm": True}),
    Case(
        USER_PASSWORD_RESET,
        "user.password_reset",
        _password_reset,
        secrets=frozenset({"resetUrl"}),
        missing=MISSING_USER,
    ),
    Case(USER_SIGN_OUT, "user.sign_out", _sign_out, missing=MISSING_USER),
    Case(
        USER_IMPERSONATE,
        "user.impersonate",
        _impersonate,
        secrets=frozenset({"token"}),
        missing=MISSING_USER,
    ),
    Case(
        USER_NOTE_CREATE,
        "user_note.create",
        _note_create,
        missing={**MISSING_USER, "body": "X"},
    ),
    Case(USER_NOTE_DELETE, "user_note.delete", _note_delete, missing={"noteId": "placeholder"}),
]
BY_NAME = [pytest.param(case, id=case.name) for case in CASES]
WITH_TARGET = [pytest.param(case, id=case.name) for case in CASES if case.missing is not None]


def _without(payload: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in names}


@pytest.mark.parametrize("case", BY_NAME)
async def test_master_key_succeeds_and_is_audited_as_the_key(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)
    payload = await case.mutation.ok(gql, given, token=world.master)
    for name in case.secrets:
        assert payload[name], f"{name} is returned on the real run"
    recorded = await events(db, case.action)
    assert len(recorded) == 1
    assert recorded[0].actor_type == "MASTER_KEY"
    assert recorded[0].actor_id.startswith("mky_")


@pytest.mark.parametrize("case", BY_NAME)
async def test_dry_run_writes_nothing(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)
    before = await snapshot(db)
    events_before = await count(db, AUDIT_EVENTS)
    notes_before = await count(db, USER_NOTES)

    payload = await case.mutation.payload(gql, given, token=world.master, dry_run=True)

    assert payload["userErrors"] == []
    for name in case.secrets:
        assert payload[name] is None, f"a dry run issues no {name}"
    assert await count(db, AUDIT_EVENTS) == events_before
    assert await count(db, USER_NOTES) == notes_before
    assert await snapshot(db) == before


@pytest.mark.parametrize("case", BY_NAME)
async def test_idempotent_replay_acts_once(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)
    first = await case.mutation.send(gql, given, token=world.master, key="replay-1")
    assert "idempotent-replayed" not in first.headers
    assert first.data[case.name]["userErrors"] == []
    after_first = await snapshot(db)

    again = await case.mutation.send(gql, given, token=world.master, key="replay-1")

    assert again.status == 200, again.body
    assert again.errors == []
    assert again.headers["idempotent-replayed"] == "true"
    replayed = again.data[case.name]
    assert _without(replayed, case.secrets) == _without(first.data[case.name], case.secrets)
    for name in case.secrets:
        assert replayed[name] is None, f"a replay never shows the {name} again"
    assert await snapshot(db) == after_first
    assert len(await events(db, case.action)) == 1


@pytest.mark.parametrize("case", BY_NAME)
async def test_same_key_with_other_input_is_refused(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, other = await case.prepare(factory, world)
    first = await case.mutation.payload(gql, given, token=world.master, key="reuse-1")
    assert first["userErrors"] == []
    after_first = await snapshot(db)

    reused = await case.mutation.payload(gql, other, token=world.master, key="reuse-1")

    assert reused["userErrors"] == [
        {
            "field": ["idempotencyKey"],
            "message": "This idempotency key was already used with a different input.",
            "code": "IDEMPOTENCY_KEY_REUSED",
        }
    ]
    assert await snapshot(db) == after_first


@pytest.mark.parametrize("case", WITH_TARGET)
async def test_unknown_target_is_not_found(
    gql: GraphQL, world: World, db: Database, case: Case
) -> None:
    assert case.missing is not None
    before = await snapshot(db)
    for missing_id in (unknown_user_id(), "usr_nonsense", encode("cus", uuid.uuid4())):
        given = dict(case.missing)
        id_field = "noteId" if "noteId" in given else "userId"
        given[id_field] = (
            missing_id.replace("usr_", "not_", 1) if id_field == "noteId" else missing_id
        )
        payload = await case.mutation.payload(gql, given, token=world.master)
        assert codes(payload) == ["NOT_FOUND"], (missing_id, payload)
        assert payload["userErrors"][0]["field"] == ["input", id_field]
    assert await snapshot(db) == before


@pytest.mark.parametrize("case", BY_NAME)
async def test_session_admin_is_forbidden(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)
    before = await snapshot(db)

    response = await case.mutation.send(gql, given, token=world.owner_token)

    assert response.status == 200, response.body
    assert response.codes == ["FORBIDDEN"]
    assert response.data == {case.name: None}
    assert await snapshot(db) == before


@pytest.mark.parametrize("case", BY_NAME)
async def test_read_only_impersonation_is_refused(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)
    before = await snapshot(db, without=(AUDIT_EVENTS,))
    events_before = await count(db, AUDIT_EVENTS)

    response = await case.mutation.send(gql, given, token=world.read_only_token)

    assert response.status == 200, response.body
    assert response.codes == ["READ_ONLY_SESSION"]
    assert response.data == {case.name: None}
    assert await snapshot(db, without=(AUDIT_EVENTS,)) == before
    # Only the audit event every impersonated request leaves behind.
    written = (await events(db))[events_before:]
    assert [event.action for event in written] == ["impersonation.request"]


@pytest.mark.parametrize("case", BY_NAME)
async def test_listed_staff_session_succeeds_and_is_audited_as_the_staff_user(
    gql: GraphQL, world: World, factory: Factory, db: Database, case: Case
) -> None:
    given, _ = await case.prepare(factory, world)

    await case.mutation.ok(gql, given, token=world.staff_token)

    recorded = await events(db, case.action)
    assert len(recorded) == 1
    assert (recorded[0].actor_type, recorded[0].actor_id) == ("USER", uid(world.staff))
    assert recorded[0].impersonator_id is None
