"""The audit trail: what every mutation records, how it is queried, how secrets are kept out.

The hash chain's formula and tampering: `test_chain_integrity.py`.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.audit import repository as audit_repository
from app.audit.chain import GENESIS_HASH
from app.kit import clock
from app.kit.ids import encode
from app.kit.redaction import REDACTED, diff, is_secret_field, redact
from app.models.tables import MASTER_KEYS
from tests.helpers import GraphQL, Mutation, World, gid
from tests.support import audit_events, counts, master_key_id, record_event, rows

CREATE = Mutation("masterKeyCreate", "key masterKey { id }")
REVOKE = Mutation("masterKeyRevoke", "masterKey { id }")
EVENTS = """
query($filter: AuditEventFilter, $first: Int, $after: String, $direction: OrderDirection! = DESC) {
  auditEvents(filter: $filter, first: $first, after: $after, direction: $direction) {
    totalCount
    edges { cursor node {
      id seq createdAt actorType actorId impersonatorId action targetType targetId customerId
      diff requestId clientAddr prevHash hash
    } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def make_key(gql: GraphQL, token: str, name: str) -> dict[str, Any]:
    payload = await CREATE.payload(gql, {"name": name}, token=token)
    assert payload["userErrors"] == []
    return payload


async def events(gql: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    data = await gql.ok(EVENTS, variables, token=token)
    found: dict[str, Any] = data["auditEvents"]
    return found


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


# ---------------------------------------------------------------- what is recorded


async def test_mutation_event_carries_actor_target_diff_and_request_id(
    gql: GraphQL, world: World, db: Any
) -> None:
    response = await CREATE.send(
        gql, {"name": "audited"}, token=world.master, headers={"X-Request-Id": "req-abc.123"}
    )
    assert response.headers["x-request-id"] == "req-abc.123"
    created = response.data["masterKeyCreate"]
    latest = nodes(await events(gql, world.master, first=1))[0]
    assert latest["action"] == "master_key.create"
    assert latest["actorType"] == "MASTER_KEY"
    assert latest["actorId"] == await master_key_id(db, world.master)
    assert latest["impersonatorId"] is None
    assert latest["targetType"] == "MasterKey"
    assert latest["targetId"] == created["masterKey"]["id"]
    assert latest["requestId"] == "req-abc.123"
    assert latest["clientAddr"] == "203.0.113.7"
    assert latest["diff"]["name"] == {"before": None, "after": "audited"}
    assert latest["diff"]["key"] == {"before": None, "after": REDACTED}
    assert created["key"] not in str(latest)


async def test_generated_request_id_matches_the_response_header(
    gql: GraphQL, world: World, db: Any
) -> None:
    # An unusable incoming id is replaced by a generated one.
    response = await CREATE.send(
        gql, {"name": "x"}, token=world.master, headers={"X-Request-Id": "bad id!"}
    )
    header = response.headers["x-request-id"]
    assert header != "bad id!"
    assert len(header) >= 16
    assert (await audit_events(db))[-1].request_id == header


async def test_events_are_hash_chained(gql: GraphQL, world: World) -> None:
    for name in ("a", "b", "c"):
        await make_key(gql, world.master, name)
    chain = nodes(await events(gql, world.master, direction="ASC"))
    assert [node["seq"] for node in chain] == [1, 2, 3, 4]
    assert chain[0]["prevHash"] == GENESIS_HASH
    for earlier, later in itertools.pairwise(chain):
        assert later["prevHash"] == earlier["hash"]
    assert len({node["hash"] for node in chain}) == 4


async def test_failed_and_dry_run_mutations_leave_no_event(
    gql: GraphQL, world: World, db: Any
) -> None:
    before = await counts(db)
    await CREATE.payload(gql, {"name": ""}, token=world.master)
    await CREATE.payload(gql, {"name": "d"}, token=world.master, dry_run=True)
    assert (await counts(db))["audit_events"] == before["audit_events"]


async def test_change_and_event_commit_together(
    gql: GraphQL, world: World, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> None:
        raise RuntimeError("audit storage failed")

    monkeypatch.setattr(audit_repository, "insert_events", broken)
    before = await counts(db)
    response = await CREATE.send(gql, {"name": "orphan"}, token=world.master)
    assert response.data == {"masterKeyCreate": None}
    assert response.codes == ["INTERNAL_SERVER_ERROR"]
    assert await counts(db) == before
    orphans = await rows(db, sa.select(MASTER_KEYS).where(MASTER_KEYS.c.name == "orphan"))
    assert orphans == []


# ---------------------------------------------------------------- querying


async def test_filters(gql: GraphQL, world: World, db: Any) -> None:
    master_id = await master_key_id(db, world.master)
    start = clock.now()
    first = await make_key(gql, world.master, "first")
    with clock.travel(timedelta(minutes=40)):
        second = await make_key(gql, world.staff_token, "second")
    with clock.travel(timedelta(minutes=80)):
        await REVOKE.payload(gql, {"masterKeyId": first["masterKey"]["id"]}, token=world.master)

    def actions(connection: dict[str, Any]) -> list[tuple[str, str]]:
        return [(node["action"], node["targetId"]) for node in nodes(connection)]

    by_actor = await events(gql, world.master, filter={"actorId": gid("usr", world.staff)})
    assert actions(by_actor) == [("master_key.create", second["masterKey"]["id"])]
    by_master = await events(gql, world.master, filter={"actorId": master_id})
    assert by_master["totalCount"] == 2

    by_action = await events(gql, world.master, filter={"action": "master_key.revoke"})
    assert actions(by_action) == [("master_key.revoke", first["masterKey"]["id"])]

    by_target = await events(gql, world.master, filter={"targetId": first["masterKey"]["id"]})
    assert [node["action"] for node in nodes(by_target)] == [
        "master_key.revoke",
        "master_key.create",
    ]
    assert by_target["totalCount"] == 2

    window = {
        "from": (start + timedelta(minutes=20)).isoformat(),
        "to": (start + timedelta(minutes=60)).isoformat(),
    }
    in_window = await events(gql, world.master, filter=window)
    assert actions(in_window) == [("master_key.create", second["masterKey"]["id"])]

    since = await events(
        gql, world.master, filter={"from": (start + timedelta(minutes=79)).isoformat()}
    )
    assert [node["action"] for node in nodes(since)] == ["master_key.revoke"]

    combined = await events(
        gql,
        world.master,
        filter={"action": "master_key.create", "to": (start + timedelta(minutes=20)).isoformat()},
    )
    # The world's own key was created before the test began, by the same action.
    assert actions(combined) == [
        ("master_key.create", first["masterKey"]["id"]),
        ("master_key.create", master_id),
    ]

    nothing = await events(gql, world.master, filter={"action": "no.such.action"})
    assert nothing == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
    }


async def test_from_is_inclusive_and_to_exclusive(gql: GraphQL, world: World) -> None:
    latest = nodes(await events(gql, world.master, first=1))[0]
    at = latest["createdAt"]
    assert (await events(gql, world.master, filter={"from": at}))["totalCount"] == 1
    assert (await events(gql, world.master, filter={"to": at}))["totalCount"] == 0


async def test_paging_through_events(gql: GraphQL, world: World) -> None:
    for n in range(6):
        await make_key(gql, world.master, f"k{n}")
    seen: list[int] = []
    after = None
    for direction in ("DESC", "ASC"):
        seen, after = [], None
        while True:
            page = await events(gql, world.master, first=3, after=after, direction=direction)
            assert page["totalCount"] == 7
            seen += [node["seq"] for node in nodes(page)]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        expected = list(range(1, 8))
        assert seen == (expected if direction == "ASC" else expected[::-1])


async def test_cursor_of_one_direction_is_refused_in_the_other(gql: GraphQL, world: World) -> None:
    await make_key(gql, world.master, "x")
    page = await events(gql, world.master, first=1)
    response = await gql(
        EVENTS,
        {"first": 1, "after": page["pageInfo"]["endCursor"], "direction": "ASC"},
        token=world.master,
    )
    assert response.codes == ["INVALID_CURSOR"]


# ---------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "newPassword",
        "token",
        "secret",
        "signingSecret",
        "key",
        "key_hash",
        "privateKey",
    ],
)
def test_secret_fields_are_recognised(name: str) -> None:
    assert is_secret_field(name)
    assert redact({name: "s3cr3t"}) == {name: REDACTED}


@pytest.mark.parametrize("name", ["name", "prefix", "keyPrefix", "email", "status"])
def test_ordinary_fields_are_kept(name: str) -> None:
    assert not is_secret_field(name)
    assert redact({name: "v"}) == {name: "v"}


def test_diff_lists_only_changes_and_redacts_secrets() -> None:
    changes = diff(
        {"name": "a", "status": "ACTIVE", "password": "old"},
        {"name": "b", "status": "ACTIVE", "password": "new"},
    )
    assert changes == {
        "name": {"before": "a", "after": "b"},
        "password": {"before": REDACTED, "after": REDACTED},
    }
    assert "old" not in str(changes)
    assert "new" not in str(changes)


async def test_event_node_respects_row_scope(gql: GraphQL, world: World, db: Any) -> None:
    await record_event(db, "customer.own", customer_id=world.own.id)
    await record_event(db, "customer.other", customer_id=world.other.id)
    ids = {row.action: encode("aud", row.id) for row in await audit_events(db)}
    query = "query($id: ID!) { node(id: $id) { ... on AuditEvent { action } } }"
    own = await gql.ok(query, {"id": ids["customer.own"]}, token=world.owner_token)
    assert own == {"node": {"action": "customer.own"}}
    other = await gql.ok(query, {"id": ids["customer.other"]}, token=world.owner_token)
    assert other == {"node": None}
    platform = await gql.ok(query, {"id": ids["master_key.create"]}, token=world.owner_token)
    assert platform == {"node": None}
