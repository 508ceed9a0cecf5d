"""The pipeline every mutation runs through: dry runs, idempotency keys, user errors (docs/architecture.md: conventions).

`masterKeyCreate`, `masterKeyRevoke` and `sessionRevoke` serve as vehicles.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.kit import clock
from app.models.tables import IDEMPOTENCY_RECORDS
from tests.helpers import Factory, GraphQL, World
from tests.support import counts, rows, session_id

CREATE = """
mutation($name: String!, $key: String, $dryRun: Boolean! = false) {
  masterKeyCreate(input: {name: $name}, idempotencyKey: $key, dryRun: $dryRun) {
    userErrors { field message code }
    key
    masterKey { id name }
  }
}"""

REVOKE_KEY = """
mutation($id: ID!, $key: String) {
  masterKeyRevoke(input: {masterKeyId: $id}, idempotencyKey: $key) {
    userErrors { field code }
    masterKey { id revokedAt }
  }
}"""

REVOKE_SESSION = """
mutation($id: ID, $key: String) {
  sessionRevoke(input: {sessionId: $id}, idempotencyKey: $key) {
    userErrors { field code }
    session { id revokedAt }
  }
}"""


async def create(gql: GraphQL, token: str, name: str, key: str | None = None, **extra: Any) -> Any:
    response = await gql(CREATE, {"name": name, "key": key, **extra}, token=token)
    assert response.status == 200, response.body
    assert response.errors == []
    return response


# ---------------------------------------------------------------- dry runs


async def test_dry_run_writes_nothing_yet_answers(gql: GraphQL, world: World, db: Any) -> None:
    before = await counts(db)
    response = await create(gql, world.master, "preview", dryRun=True)
    payload = response.data["masterKeyCreate"]
    assert payload["userErrors"] == []
    assert payload["masterKey"]["name"] == "preview"
    assert payload["masterKey"]["id"].startswith("mky_")
    assert payload["key"] is None
    assert await counts(db) == before


async def test_dry_run_reports_user_errors_like_the_real_thing(
    gql: GraphQL, world: World, db: Any
) -> None:
    before = await counts(db)
    dry = (await create(gql, world.master, "", dryRun=True)).data["masterKeyCreate"]
    real = (await create(gql, world.master, "")).data["masterKeyCreate"]
    assert dry == real
    assert [error["code"] for error in dry["userErrors"]] == ["REQUIRED"]
    assert await counts(db) == before


async def test_dry_run_does_not_use_up_an_idempotency_key(
    gql: GraphQL, world: World, db: Any
) -> None:
    await create(gql, world.master, "once", "key-1", dryRun=True)
    assert (await counts(db))["idempotency_records"] == 0
    response = await create(gql, world.master, "once", "key-1")
    assert "idempotent-replayed" not in response.headers
    assert response.data["masterKeyCreate"]["key"] is not None


# ---------------------------------------------------------------- idempotency keys


async def test_same_key_same_input_acts_once(gql: GraphQL, world: World, db: Any) -> None:
    before = await counts(db)
    first = await create(gql, world.master, "ci", "deploy-42")
    after_first = await counts(db)
    assert after_first["master_keys"] == before["master_keys"] + 1
    assert after_first["audit_events"] == before["audit_events"] + 1
    assert after_first["idempotency_records"] == 1
    for _ in range(2):
        again = await create(gql, world.master, "ci", "deploy-42")
        assert again.headers["idempotent-replayed"] == "true"
        payload = again.data["masterKeyCreate"]
        assert payload["masterKey"] == first.data["masterKeyCreate"]["masterKey"]
        assert payload["userErrors"] == []
    assert await counts(db) == after_first


async def test_same_key_other_input_is_refused(gql: GraphQL, world: World, db: Any) -> None:
    await create(gql, world.master, "ci", "deploy-42")
    before = await counts(db)
    response = await create(gql, world.master, "something else", "deploy-42")
    assert "idempotent-replayed" not in response.headers
    assert response.data["masterKeyCreate"]["userErrors"] == [
        {
            "field": ["idempotencyKey"],
            "message": "This idempotency key was already used with a different input.",
            "code": "IDEMPOTENCY_KEY_REUSED",
        }
    ]
    assert response.data["masterKeyCreate"]["masterKey"] is None
    assert await counts(db) == before


async def test_same_key_on_another_mutation_is_refused(gql: GraphQL, world: World, db: Any) -> None:
    created = await create(gql, world.master, "ci", "shared-key")
    before = await counts(db)
    data = await gql.ok(
        REVOKE_KEY,
        {"id": created.data["masterKeyCreate"]["masterKey"]["id"], "key": "shared-key"},
        token=world.master,
    )
    assert data["masterKeyRevoke"]["userErrors"] == [
        {"field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}
    ]
    assert await counts(db) == before


async def test_key_acts_again_after_24_hours(gql: GraphQL, world: World, db: Any) -> None:
    first = await create(gql, world.master, "nightly", "nightly-key")
    with clock.travel(timedelta(hours=23, minutes=59)):
        replay = await create(gql, world.master, "nightly", "nightly-key")
        assert replay.headers["idempotent-replayed"] == "true"
    before = await counts(db)
    with clock.travel(timedelta(hours=24, seconds=1)):
        fresh = await create(gql, world.master, "nightly", "nightly-key")
        assert "idempotent-replayed" not in fresh.headers
        payload = fresh.data["masterKeyCreate"]
        assert payload["key"] is not None
        assert payload["masterKey"]["id"] != first.data["masterKeyCreate"]["masterKey"]["id"]
        after = await counts(db)
        assert after["master_keys"] == before["master_keys"] + 1
        # The expired record was replaced, not kept beside the new one.
        assert after["idempotency_records"] == 1
        # ...and the new result is what the key now replays.
        again = await create(gql, world.master, "nightly", "nightly-key")
        assert again.data["masterKeyCreate"]["masterKey"] == payload["masterKey"]


async def test_keys_belong_to_one_caller(
    gql: GraphQL, world: World, factory: Factory, db: Any
) -> None:
    other_master = await factory.master_key("second")
    first = await create(gql, world.master, "ci", "same-key")
    before = await counts(db)
    second = await create(gql, other_master, "ci", "same-key")
    assert "idempotent-replayed" not in second.headers
    assert second.data["masterKeyCreate"]["key"] is not None
    assert (
        second.data["masterKeyCreate"]["masterKey"]["id"]
        != first.data["masterKeyCreate"]["masterKey"]["id"]
    )
    assert (await counts(db))["master_keys"] == before["master_keys"] + 1


async def test_a_failed_attempt_does_not_use_up_the_key(
    gql: GraphQL, world: World, db: Any
) -> None:
    failed = await create(gql, world.master, "x" * 101, "retry-me")
    assert failed.data["masterKeyCreate"]["userErrors"][0]["code"] == "TOO_LONG"
    assert (await counts(db))["idempotency_records"] == 0
    fixed = await create(gql, world.master, "fixed", "retry-me")
    assert fixed.data["masterKeyCreate"]["userErrors"] == []
    assert fixed.data["masterKeyCreate"]["key"] is not None


@pytest.mark.parametrize("length", [1, 255])
async def test_key_lengths_accepted(gql: GraphQL, world: World, db: Any, length: int) -> None:
    first = await create(gql, world.master, "ok", "k" * length)
    assert first.data["masterKeyCreate"]["userErrors"] == []
    [record] = await rows(db, sa.select(IDEMPOTENCY_RECORDS.c.key))
    assert record.key == "k" * length
    # Kept whole: the same key replays, a key one character shorter does not.
    again = await create(gql, world.master, "ok", "k" * length)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.data["masterKeyCreate"]["masterKey"] == first.data["masterKeyCreate"]["masterKey"]
    if length > 1:
        other = await create(gql, world.master, "ok", "k" * (length - 1))
        assert "idempotent-replayed" not in other.headers


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256-chars"])
async def test_bad_key_is_a_user_error_and_writes_nothing(
    gql: GraphQL, world: World, db: Any, key: str
) -> None:
    before = await counts(db)
    response = await create(gql, world.master, "ok", key)
    payload = response.data["masterKeyCreate"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["idempotencyKey"], "INVALID")
    ]
    assert payload["masterKey"] is None
    assert payload["key"] is None
    assert await counts(db) == before


async def test_revoke_replay_returns_the_first_result(gql: GraphQL, world: World, db: Any) -> None:
    target = (await create(gql, world.master, "old")).data["masterKeyCreate"]["masterKey"]["id"]
    first = await gql(REVOKE_KEY, {"id": target, "key": "revoke-old"}, token=world.master)
    after_first = await counts(db)
    second = await gql(REVOKE_KEY, {"id": target, "key": "revoke-old"}, token=world.master)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.data == first.data
    assert second.data["masterKeyRevoke"]["masterKey"]["revokedAt"] is not None
    assert await counts(db) == after_first


async def test_session_revoke_replay(gql: GraphQL, world: World, db: Any) -> None:
    victim = await session_id(db, world.owner_token)
    first = await gql(REVOKE_SESSION, {"id": victim, "key": "logout-1"}, token=world.master)
    assert first.data["sessionRevoke"]["userErrors"] == []
    after_first = await counts(db)
    second = await gql(REVOKE_SESSION, {"id": victim, "key": "logout-1"}, token=world.master)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.data == first.data
    assert await counts(db) == after_first


async def test_session_callers_have_their_own_key_space(
    gql: GraphQL, world: World, db: Any
) -> None:
    # The owner and the admin each log out with the same key: both act.
    for token in (world.owner_token, world.admin_token):
        response = await gql(REVOKE_SESSION, {"id": None, "key": "logout"}, token=token)
        assert "idempotent-replayed" not in response.headers
        assert response.data["sessionRevoke"]["userErrors"] == []
        assert (await gql("{ me { scope } }", token=token)).status == 401
    assert (await counts(db))["idempotency_records"] == 2
