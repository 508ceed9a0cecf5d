"""The audit chain's integrity: the hash formula as documented, and tampering of every kind.

Expected hashes are computed here from the formula in `app.audit.chain`'s docstring with
`hashlib` and `json` alone, never with the app's own functions, so a formula that silently
leaves a field (or the link to the previous event) out cannot agree with them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.audit import service as audit_service
from app.audit.service import AuditJournal, verify_chain
from app.db import Database
from app.kit import clock
from app.kit.actor import Actor, ActorType
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models.tables import AUDIT_EVENTS
from tests.helpers import Factory, GraphQL, Mutation, World, gid
from tests.support import audit_events, rows
from tests.users.support import login

GENESIS = "0" * 64
VERIFY = "{ auditChainVerify { ok checked firstBrokenId } }"
CREATE_KEY = Mutation("masterKeyCreate", "masterKey { id }")


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: str, content: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(content)).hexdigest()


def content_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored event's hashed content, read as the docstring describes it."""

    def plain(value: Any) -> Any:
        return getattr(value, "value", value)  # enum members are stored as their value

    return {
        "id": str(row["id"]),
        "seq": row["seq"],
        "created_at": row["created_at"].isoformat(),
        "actor_type": plain(row["actor_type"]),
        "actor_id": row["actor_id"],
        "impersonator_id": row["impersonator_id"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "customer_id": str(row["customer_id"]) if row["customer_id"] is not None else None,
        "diff": row["diff"],
        "request_id": row["request_id"],
        "client_addr": row["client_addr"],
    }


def expected_chain(contents: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(prev_hash, hash) of each event, linked from the genesis hash."""
    found = []
    prev = GENESIS
    for content in contents:
        current = link(prev, content)
        found.append((prev, current))
        prev = current
    return found


async def verify(gql: GraphQL, world: World) -> dict[str, Any]:
    data = await gql.ok(VERIFY, token=world.master)
    result: dict[str, Any] = data["auditChainVerify"]
    return result


# ---------------------------------------------------------------- known answers

AT = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
IDS = [uuid.UUID(f"018f4c5e-7a1b-7c2d-8e3f-00000000000{n}") for n in (1, 2, 3)]
CUSTOMER_ID = uuid.UUID("018f4c5e-0000-7000-8000-0000000000c1")
ACTOR = Actor(
    ActorType.USER,
    "usr_actor",
    impersonator_id="usr_operator",
    request_id="req-known-1",
    client_addr="198.51.100.9",
)
KNOWN_CONTENTS = [
    {
        "id": "018f4c5e-7a1b-7c2d-8e3f-000000000001",
        "seq": 1,
        "created_at": "2024-05-06T07:08:09.123456+00:00",
        "actor_type": "USER",
        "actor_id": "usr_actor",
        "impersonator_id": "usr_operator",
        "action": "customer.update",
        "target_type": "Customer",
        "target_id": "cus_target",
        "customer_id": "018f4c5e-0000-7000-8000-0000000000c1",
        "diff": {"name": {"before": "Old name", "after": "Zoë & Co ✓"}},
        "request_id": "req-known-1",
        "client_addr": "198.51.100.9",
    },
    {
        "id": "018f4c5e-7a1b-7c2d-8e3f-000000000002",
        "seq": 2,
        "created_at": "2024-05-06T07:08:09.123456+00:00",
        "actor_type": "USER",
        "actor_id": "usr_actor",
        "impersonator_id": "usr_operator",
        "action": "master_key.create",
        "target_type": "MasterKey",
        "target_id": "mky_target",
        "customer_id": None,
        "diff": {
            "key": {"before": None, "after": "[REDACTED]"},
            "name": {"before": None, "after": "deploy"},
        },
        "request_id": "req-known-1",
        "client_addr": "198.51.100.9",
    },
    {
        "id": "018f4c5e-7a1b-7c2d-8e3f-000000000003",
        "seq": 3,
        "created_at": "2024-05-06T07:08:10+00:00",
        "actor_type": "SYSTEM",
        "actor_id": "retention",
        "impersonator_id": None,
        "action": "platform.prune",
        "target_type": "Log",
        "target_id": None,
        "customer_id": None,
        "diff": {"removed": {"before": None, "after": 3}},
        "request_id": None,
        "client_addr": None,
    },
]
# The first link spelled out, a fixed point for anyone reimplementing the verification
# elsewhere: `printf '%s' "$GENESIS$FIRST_CANONICAL" | sha256sum` gives FIRST_HASH.
FIRST_CANONICAL = (
    '{"action":"customer.update","actor_id":"usr_actor","actor_type":"USER",'
    '"client_addr":"198.51.100.9","created_at":"2024-05-06T07:08:09.123456+00:00",'
    '"customer_id":"018f4c5e-0000-7000-8000-0000000000c1",'
    '"diff":{"name":{"after":"Zoë & Co ✓","before":"Old name"}},'
    '"id":"018f4c5e-7a1b-7c2d-8e3f-000000000001","impersonator_id":"usr_operator",'
    '"request_id":"req-known-1","seq":1,"target_id":"cus_target","target_type":"Customer"}'
)
FIRST_HASH = "86fe5298197abba858ac247e0afd85c3136d6f0aa7f387e1e892f9cd61439828"


@pytest.fixture
def fixed_ids_and_time(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """New events get the ids of IDS in turn, at a settable fixed time."""
    ids = iter(IDS)
    moment = {"now": AT}
    monkeypatch.setattr(audit_service, "uuid7", lambda: next(ids))
    monkeypatch.setattr(clock, "now", lambda: moment["now"])

    def set_time(value: datetime) -> None:
        moment["now"] = value

    return set_time


async def append(db: Database, actor: Actor, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Append events through the journal itself, in one transaction, and return its rows."""
    async with db.write_session() as session:
        uow = UnitOfWork(session, actor, EVERYTHING, db.dialect)
        for event in events:
            uow.record(**event)
        written = await AuditJournal().append(uow)
        await session.commit()
    return written


async def test_known_answer_for_fixed_events(
    db: Database, fixed_ids_and_time: Callable[[datetime], None]
) -> None:
    first = await append(
        db,
        ACTOR,
        {
            "action": "customer.update",
            "target_type": "Customer",
            "target_id": "cus_target",
            "before": {"name": "Old name", "status": "ACTIVE"},
            "after": {"name": "Zoë & Co ✓", "status": "ACTIVE"},
            "customer_id": CUSTOMER_ID,
        },
        {
            "action": "master_key.create",
            "target_type": "MasterKey",
            "target_id": "mky_target",
            "after": {"name": "deploy", "key": "admk_secret"},
        },
    )
    # A second unit of work continues from the stored head of the chain.
    fixed_ids_and_time(AT.replace(second=10, microsecond=0))
    second = await append(
        db,
        Actor.system("retention"),
        {
            "action": "platform.prune",
            "target_type": "Log",
            "target_id": None,
            "after": {"removed": 3},
        },
    )

    chain = expected_chain(KNOWN_CONTENTS)
    assert chain[0] == (GENESIS, FIRST_HASH)
    stored = await audit_events(db)
    assert [content_of(row._mapping) for row in stored] == KNOWN_CONTENTS
    assert [(row.prev_hash, row.hash) for row in stored] == chain
    # What `finish` returned is what it stored.
    assert [(row["prev_hash"], row["hash"]) for row in [*first, *second]] == chain


def test_the_first_link_is_the_worked_example() -> None:
    assert canonical(KNOWN_CONTENTS[0]) == FIRST_CANONICAL.encode()
    assert link(GENESIS, KNOWN_CONTENTS[0]) == FIRST_HASH
    assert hashlib.sha256((GENESIS + FIRST_CANONICAL).encode()).hexdigest() == FIRST_HASH


async def test_stored_hashes_of_real_mutations_follow_the_formula(
    gql: GraphQL, world: World, factory: Factory, db: Database
) -> None:
    # Events with every kind of field set: a target, a customer, an impersonator, a user actor.
    await CREATE_KEY.payload(gql, {"name": "deploy"}, token=world.master)
    await Mutation("customerUpdate").payload(
        gql,
        {"customerId": gid("cus", world.own), "name": "Renamed"},
        token=world.owner_token,
        headers={"X-Request-Id": "req-rename"},
    )
    await gql.ok("{ me { scope } }", token=world.read_only_token)
    await login(gql, "admin@own.test")
    stored = await audit_events(db)
    assert len(stored) == 5
    assert {"customer.update", "impersonation.request", "session.create"} <= {
        row.action for row in stored
    }
    assert any(row.customer_id == world.own.id for row in stored)
    assert any(row.impersonator_id == gid("usr", world.staff) for row in stored)
    expected = expected_chain([content_of(row._mapping) for row in stored])
    assert [(row.prev_hash, row.hash) for row in stored] == expected
    # The chain as the API lists it carries the same hashes.
    listed = await gql.ok(
        "{ auditEvents(direction: ASC) { nodes { seq prevHash hash } } }", token=world.master
    )
    assert [(n["prevHash"], n["hash"]) for n in listed["auditEvents"]["nodes"]] == expected


# ---------------------------------------------------------------- an untouched chain


async def test_an_untouched_chain_verifies_every_event(
    gql: GraphQL, world: World, db: Database
) -> None:
    for name in ("a", "b", "c"):
        await CREATE_KEY.payload(gql, {"name": name}, token=world.master)
    await gql.ok("{ me { scope } }", token=world.read_only_token)
    assert len(await audit_events(db)) == 5
    assert await verify(gql, world) == {"ok": True, "checked": 5, "firstBrokenId": None}


async def test_empty_chain_verifies(gql: GraphQL, world: World, db: Database) -> None:
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.delete(AUDIT_EVENTS))
    assert await verify(gql, world) == {"ok": True, "checked": 0, "firstBrokenId": None}


async def test_verification_carries_the_chain_across_batches(world: World, db: Database) -> None:
    for n in range(4):
        await append(
            db,
            Actor.system("test"),
            {"action": f"batch.{n}", "target_type": "T", "target_id": None},
        )
    async with db.write_session() as session:
        intact = await verify_chain(session, batch_size=2)
    assert (intact.ok, intact.checked, intact.first_broken_id) == (True, 5, None)
    broken = await tamper(db, 4, lambda _: {"action": "forged"})
    async with db.write_session() as session:
        found = await verify_chain(session, batch_size=2)
    assert (found.ok, found.checked, encode("aud", found.first_broken_id)) == (False, 3, broken)


# ---------------------------------------------------------------- tampering


async def event_id(db: Database, seq: int) -> str:
    found = await rows(db, sa.select(AUDIT_EVENTS.c.id).where(AUDIT_EVENTS.c.seq == seq))
    return encode("aud", found[0].id)


async def tamper(db: Database, seq: int, change: Callable[[Any], dict[str, Any]]) -> str:
    """Change the event at `seq` behind the app's back; the public id it has afterwards."""
    [row] = await rows(db, sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.seq == seq))
    values = change(row)
    async with db.write_engine.begin() as connection:
        await connection.execute(
            sa.update(AUDIT_EVENTS).where(AUDIT_EVENTS.c.seq == seq).values(**values)
        )
    return encode("aud", values.get("id", row.id))


@pytest.fixture
async def chain_of_four(gql: GraphQL, world: World, db: Database) -> list[str]:
    """The world's own event and three more: seq 1 to 4, their public ids."""
    for name in ("a", "b", "c"):
        await CREATE_KEY.payload(gql, {"name": name}, token=world.master)
    assert await verify(gql, world) == {"ok": True, "checked": 4, "firstBrokenId": None}
    return [await event_id(db, seq) for seq in range(1, 5)]


FORGED_ID = uuid.UUID("018f4c5e-7a1b-7c2d-8e3f-0000000000ff")

# Every hashed column, and the two hash columns themselves.
CHANGES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "id": lambda _: {"id": FORGED_ID},
    "created_at": lambda row: {"created_at": row.created_at + timedelta(seconds=1)},
    "actor_type": lambda _: {"actor_type": ActorType.SYSTEM},
    "actor_id": lambda _: {"actor_id": "mky_someoneelse"},
    "impersonator_id": lambda _: {"impersonator_id": "usr_someone"},
    "action": lambda _: {"action": "master_key.revoke"},
    "target_type": lambda _: {"target_type": "Customer"},
    "target_id": lambda _: {"target_id": "mky_forged"},
    "customer_id": lambda _: {"customer_id": uuid.UUID("018f4c5e-0000-7000-8000-0000000000c2")},
    "diff": lambda _: {"diff": {"name": {"before": None, "after": "forged"}}},
    "request_id": lambda _: {"request_id": "req-forged"},
    "client_addr": lambda _: {"client_addr": "192.0.2.66"},
    "prev_hash": lambda _: {"prev_hash": "e" * 64},
    "hash": lambda _: {"hash": "f" * 64},
}


def test_every_stored_column_is_tampered_with_here() -> None:
    # A column added to the table must be hashed and get a tampering case (or be `seq`,
    # which the link itself checks).
    assert set(CHANGES) | {"seq"} == {column.name for column in AUDIT_EVENTS.columns}


@pytest.mark.parametrize("field", list(CHANGES))
async def test_a_changed_field_breaks_the_chain_at_that_event(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str], field: str
) -> None:
    broken = await tamper(db, 3, CHANGES[field])
    assert await verify(gql, world) == {"ok": False, "checked": 2, "firstBrokenId": broken}


async def test_a_renumbered_event_breaks_the_chain_where_the_numbers_jump(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str]
) -> None:
    await tamper(db, 3, lambda _: {"seq": 99})
    assert await verify(gql, world) == {
        "ok": False,
        "checked": 2,
        "firstBrokenId": chain_of_four[3],
    }


@pytest.mark.parametrize(
    ("seq", "checked"), [(1, 0), (2, 1), (3, 2)], ids=["first", "second", "third"]
)
async def test_a_deleted_event_breaks_the_chain_at_the_next_one(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str], seq: int, checked: int
) -> None:
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.delete(AUDIT_EVENTS).where(AUDIT_EVENTS.c.seq == seq))
    assert await verify(gql, world) == {
        "ok": False,
        "checked": checked,
        "firstBrokenId": chain_of_four[seq],
    }


async def renumber(db: Database, moves: list[tuple[int, int]]) -> None:
    async with db.write_engine.begin() as connection:
        for old, new in moves:
            await connection.execute(
                sa.update(AUDIT_EVENTS).where(AUDIT_EVENTS.c.seq == old).values(seq=new)
            )


async def test_two_swapped_events_break_the_chain_at_the_earlier_place(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str]
) -> None:
    await renumber(db, [(2, -2), (3, 2), (-2, 3)])
    # The third event now comes second: its link names the second, not the first.
    assert await verify(gql, world) == {
        "ok": False,
        "checked": 1,
        "firstBrokenId": chain_of_four[2],
    }


@pytest.mark.parametrize("well_formed", [True, False], ids=["well-formed", "bad-hash"])
async def test_an_inserted_event_breaks_the_chain(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str], well_formed: bool
) -> None:
    [second] = await rows(db, sa.select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.seq == 2))
    await renumber(db, [(4, 5), (3, 4)])
    forged = {
        "id": FORGED_ID,
        "seq": 3,
        "created_at": second.created_at,
        "actor_type": ActorType.MASTER_KEY,
        "actor_id": second.actor_id,
        "impersonator_id": None,
        "action": "master_key.create",
        "target_type": "MasterKey",
        "target_id": "mky_backdoor",
        "customer_id": None,
        "diff": {"name": {"before": None, "after": "backdoor"}},
        "request_id": None,
        "client_addr": None,
        "prev_hash": second.hash,
    }
    # A forger who knows the formula links the event correctly; the next event still names
    # the second event as its predecessor, so the chain breaks right after the forgery.
    forged["hash"] = link(second.hash, content_of(forged)) if well_formed else "a" * 64
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.insert(AUDIT_EVENTS).values(**forged))
    expected = (
        {"ok": False, "checked": 3, "firstBrokenId": chain_of_four[2]}
        if well_formed
        else {"ok": False, "checked": 2, "firstBrokenId": encode("aud", FORGED_ID)}
    )
    assert await verify(gql, world) == expected


async def test_verification_is_master_only(gql: GraphQL, world: World) -> None:
    for token in (world.owner_token, world.member_token, world.read_only_token):
        response = await gql(VERIFY, token=token)
        assert response.data == {"auditChainVerify": None}
        assert response.codes == ["FORBIDDEN"]
    assert (await gql.ok(VERIFY, token=world.staff_token))["auditChainVerify"]["ok"] is True


async def test_a_broken_event_can_be_looked_up_by_its_id(
    gql: GraphQL, world: World, db: Database, chain_of_four: list[str]
) -> None:
    broken = await tamper(db, 2, lambda _: {"diff": {"forged": True}})
    assert (await verify(gql, world))["firstBrokenId"] == broken
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { id ... on AuditEvent { seq action diff } } }",
        {"id": broken},
        token=world.master,
    )
    assert data["node"] == {
        "id": broken,
        "seq": 2,
        "action": "master_key.create",
        "diff": {"forged": True},
    }
    # Nothing hides the tampering from the listing either.
    listed = await gql.ok("{ auditEvents(direction: ASC) { nodes { id } } }", token=world.master)
    assert [node["id"] for node in listed["auditEvents"]["nodes"]] == chain_of_four
