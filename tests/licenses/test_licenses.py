"""License mutations and queries: issue, update, suspend/reinstate, revoke, reissue, machines."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.crypto import token_hash
from app.models.licenses import LICENSES, SIGNING_KEYS
from tests.helpers import GraphQL, World, gid
from tests.licenses.support import (
    LICENSE,
    LICENSE_ISSUE,
    LICENSE_REINSTATE,
    LICENSE_REISSUE,
    LICENSE_REVOKE,
    LICENSE_SUSPEND,
    LICENSE_UPDATE,
    MACHINE_DEACTIVATE,
    counts,
    events,
    heartbeat,
    issue,
    new_license,
    outbox,
    validate,
)
from tests.support import rows


async def test_issue_returns_a_signed_key_once_and_stores_only_its_hash(
    gql: GraphQL, world: World, db: Database
) -> None:
    license, key = await issue(
        gql, world.master, new_license(world, planCode="pro", metadata={"seat": "eu"})
    )
    assert key.count(".") == 2
    assert license["status"] == "ACTIVE"
    assert license["entitlements"] == ["sso", "audit-log"]
    assert license["maxMachines"] == 2
    assert license["metadata"] == {"seat": "eu"}
    assert license["keyHint"] == key[-10:]
    assert license["customer"] == {"slug": "own-co"}
    assert license["machines"] == []
    assert license["activations"] == []
    [row] = await rows(db, sa.select(LICENSES))
    assert row.key_hash == token_hash(key)
    assert key not in repr(tuple(row))
    [signing_key] = await rows(db, sa.select(SIGNING_KEYS))
    assert license["signingKeyId"] == signing_key.kid
    [event] = await events(db, "license.issue")
    assert event.target_id == license["id"]
    assert key not in repr(event.diff)
    [published] = await outbox(db, "license.issued")
    assert published["licenseId"] == license["id"]
    assert key not in repr(published)


async def test_issue_checks_every_field(gql: GraphQL, world: World) -> None:
    past = (clock.now() - timedelta(days=1)).isoformat()
    found = await LICENSE_ISSUE.refused(
        gql,
        new_license(world, entitlements=["ok", " "], maxMachines=-1, expiresAt=past),
        token=world.master,
    )
    assert sorted(found) == [
        ("INVALID", ["input", "entitlements"]),
        ("INVALID", ["input", "expiresAt"]),
        ("INVALID", ["input", "maxMachines"]),
    ]
    too_many = await LICENSE_ISSUE.refused(
        gql, new_license(world, entitlements=[f"e{i}" for i in range(101)]), token=world.master
    )
    assert too_many == [("TOO_LONG", ["input", "entitlements"])]
    big = await LICENSE_ISSUE.refused(
        gql, new_license(world, metadata={"x": "y" * 5000}), token=world.master
    )
    assert big == [("TOO_LONG", ["input", "metadata"])]
    unknown = await LICENSE_ISSUE.refused(
        gql, new_license(world, customerId="cus_01m8t3sj2hea3vx19fv1jh07ze"), token=world.master
    )
    assert unknown == [("NOT_FOUND", ["input", "customerId"])]


async def test_dry_run_writes_nothing_and_shows_no_key(
    gql: GraphQL, world: World, db: Database
) -> None:
    before = await counts(db)
    payload = await LICENSE_ISSUE.ok(gql, new_license(world), token=world.master, dry_run=True)
    assert payload["license"]["status"] == "ACTIVE"
    assert payload["key"] is None
    assert await counts(db) == before


async def test_idempotent_replay_issues_once(gql: GraphQL, world: World, db: Database) -> None:
    first = await LICENSE_ISSUE.ok(gql, new_license(world), token=world.master, key="issue-1")
    again = await LICENSE_ISSUE.ok(gql, new_license(world), token=world.master, key="issue-1")
    assert again["license"]["id"] == first["license"]["id"]
    assert again["key"] is None  # a secret is never kept for a replay
    assert (await counts(db))["licenses"] == 1
    reused = await LICENSE_ISSUE.send(
        gql, new_license(world, maxMachines=5), token=world.master, key="issue-1"
    )
    assert reused.data["licenseIssue"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_only_a_master_manages_licenses(gql: GraphQL, world: World, db: Database) -> None:
    for token in (world.owner_token, world.admin_token, world.member_token):
        response = await LICENSE_ISSUE.send(gql, new_license(world), token=token)
        assert response.codes == ["FORBIDDEN"], response.body
    assert (await counts(db))["licenses"] == 0


async def test_a_session_admin_reads_their_own_customers_licenses_only(
    gql: GraphQL, world: World
) -> None:
    own, own_key = await issue(gql, world.master, new_license(world))
    other, other_key = await issue(
        gql, world.master, new_license(world, customerId=gid("cus", world.other))
    )
    query = "{ licenses { totalCount nodes { id } } }"
    assert (await gql.ok(query, token=world.master))["licenses"]["totalCount"] == 2
    mine = await gql.ok(query, token=world.owner_token)
    assert mine["licenses"] == {"totalCount": 1, "nodes": [{"id": own["id"]}]}
    one = "query($id: ID!) { license(id: $id) { id } }"
    assert (await gql.ok(one, {"id": other["id"]}, token=world.admin_token)) == {"license": None}
    by_key = "query($key: String!) { licenseByKey(key: $key) { id } }"
    found = await gql.ok(by_key, {"key": own_key}, token=world.owner_token)
    assert found == {"licenseByKey": {"id": own["id"]}}
    hidden = await gql.ok(by_key, {"key": other_key}, token=world.owner_token)
    assert hidden == {"licenseByKey": None}
    member = await gql(query, token=world.member_token)
    assert member.data is None or member.data["licenses"]["totalCount"] == 0


async def test_status_precedence_and_filters(gql: GraphQL, world: World) -> None:
    soon = (clock.now() + timedelta(days=10)).isoformat()
    later = (clock.now() + timedelta(days=90)).isoformat()
    expiring, _ = await issue(gql, world.master, new_license(world, expiresAt=soon))
    active, _ = await issue(gql, world.master, new_license(world, expiresAt=later))
    assert expiring["status"] == "EXPIRING"
    assert active["status"] == "ACTIVE"
    suspended = await LICENSE_SUSPEND.ok(gql, {"licenseId": expiring["id"]}, token=world.master)
    assert suspended["license"]["status"] == "SUSPENDED"  # SUSPENDED > EXPIRING
    revoked = await LICENSE_REVOKE.ok(
        gql, {"licenseId": expiring["id"], "reason": "fraud"}, token=world.master
    )
    assert revoked["license"]["status"] == "REVOKED"  # REVOKED > SUSPENDED
    with clock.travel(timedelta(days=100)):
        query = "query($f: LicenseFilter) { licenses(filter: $f) { nodes { id status } } }"
        data = await gql.ok(query, {"f": {"status": "EXPIRED"}}, token=world.master)
        assert data["licenses"]["nodes"] == [{"id": active["id"], "status": "EXPIRED"}]
    query = "query($f: LicenseFilter) { licenses(filter: $f) { nodes { id } } }"
    within = await gql.ok(query, {"f": {"expiringWithinDays": 120}}, token=world.master)
    assert {node["id"] for node in within["licenses"]["nodes"]} == {active["id"], expiring["id"]}
    within = await gql.ok(query, {"f": {"expiringWithinDays": 30}}, token=world.master)
    assert within["licenses"]["nodes"] == [{"id": expiring["id"]}]
    search = await gql.ok(query, {"f": {"search": active["keyHint"]}}, token=world.master)
    assert search["licenses"]["nodes"] == [{"id": active["id"]}]


async def test_update_changes_what_validation_answers(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    license, key = await issue(gql, world.master, new_license(world, maxMachines=1))
    await heartbeat(client, key, "m-1")
    assert (await validate(client, key, "m-2"))["code"] == "TOO_MANY_MACHINES"
    payload = await LICENSE_UPDATE.ok(
        gql,
        {"licenseId": license["id"], "maxMachines": 2, "entitlements": ["sso"]},
        token=world.master,
    )
    assert payload["license"]["maxMachines"] == 2
    assert payload["license"]["entitlements"] == ["sso"]
    answer = await validate(client, key, "m-2")
    assert answer["code"] == "VALID"
    assert answer["license"]["entitlements"] == ["sso"]
    refused = await LICENSE_UPDATE.refused(
        gql, {"licenseId": license["id"], "maxMachines": -3}, token=world.master
    )
    assert refused == [("INVALID", ["input", "maxMachines"])]
    missing = await LICENSE_UPDATE.refused(
        gql, {"licenseId": "lic_01m8t3sj2hea3vx19fv1jh07ze"}, token=world.master
    )
    assert missing == [("NOT_FOUND", ["input", "licenseId"])]


async def test_suspend_and_reinstate(gql: GraphQL, world: World, db: Database) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    target = {"licenseId": license["id"]}
    assert (await LICENSE_REINSTATE.refused(gql, target, token=world.master)) == [
        ("INVALID_STATE", ["input", "licenseId"])
    ]
    await LICENSE_SUSPEND.ok(gql, target, token=world.master)
    assert (await LICENSE_SUSPEND.refused(gql, target, token=world.master)) == [
        ("INVALID_STATE", ["input", "licenseId"])
    ]
    before = await counts(db)
    dry = await LICENSE_REINSTATE.ok(gql, target, token=world.master, dry_run=True)
    assert dry["license"]["status"] == "ACTIVE"
    assert await counts(db) == before
    back = await LICENSE_REINSTATE.ok(gql, target, token=world.master)
    assert back["license"]["status"] == "ACTIVE"
    assert [e["licenseId"] for e in await outbox(db, "license.suspended")] == [license["id"]]
    assert [e["licenseId"] for e in await outbox(db, "license.reinstated")] == [license["id"]]


async def test_revoke_is_final(gql: GraphQL, world: World) -> None:
    license, _ = await issue(gql, world.master, new_license(world))
    target = {"licenseId": license["id"]}
    blank = await LICENSE_REVOKE.refused(gql, {**target, "reason": " "}, token=world.master)
    assert blank == [("REQUIRED", ["input", "reason"])]
    await LICENSE_REVOKE.ok(gql, {**target, "reason": "chargeback"}, token=world.master)
    for mutation, extra in (
        (LICENSE_REVOKE, {"reason": "again"}),
        (LICENSE_SUSPEND, {}),
        (LICENSE_REISSUE, {}),
        (LICENSE_UPDATE, {"maxMachines": 3}),
    ):
        found = await mutation.refused(gql, {**target, **extra}, token=world.master)
        assert found == [("LICENSE_REVOKED", ["input", "licenseId"])], mutation.name


async def test_reissue_keeps_machines_and_invalidates_the_old_key_at_once(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    license, old_key = await issue(gql, world.master, new_license(world))
    await heartbeat(client, old_key, "m-1")
    payload = await LICENSE_REISSUE.ok(gql, {"licenseId": license["id"]}, token=world.master)
    new_key = payload["key"]
    assert new_key != old_key
    assert payload["license"]["id"] == license["id"]
    assert [m["fingerprint"] for m in payload["license"]["machines"]] == ["m-1"]
    assert (await validate(client, old_key, "m-1"))["code"] == "NOT_FOUND"
    assert (await validate(client, new_key, "m-1"))["code"] == "VALID"


async def test_machine_deactivation_frees_the_seat(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    _license, key = await issue(gql, world.master, new_license(world, maxMachines=1))
    beat = await heartbeat(client, key, "m-1", hostname="build-01")
    assert (await heartbeat(client, key, "m-2"))["code"] == "TOO_MANY_MACHINES"
    target = {"machineId": beat["machine"]["id"]}
    payload = await MACHINE_DEACTIVATE.ok(gql, target, token=world.master)
    assert payload["machine"]["alive"] is False
    assert [a["event"] for a in payload["license"]["activations"]] == ["ACTIVATED", "DEACTIVATED"]
    again = await MACHINE_DEACTIVATE.refused(gql, target, token=world.master)
    assert again == [("INVALID_STATE", ["input", "machineId"])]
    assert (await heartbeat(client, key, "m-2"))["code"] == "VALID"
    missing = await MACHINE_DEACTIVATE.refused(
        gql, {"machineId": "mch_01m8t3sj2hea3vx19fv1jh07ze"}, token=world.master
    )
    assert missing == [("NOT_FOUND", ["input", "machineId"])]


async def test_a_session_admin_sees_machines_of_their_licenses(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    _, key = await issue(gql, world.master, new_license(world))
    await heartbeat(client, key, "m-1", hostname="ci", platform="linux")
    data = await gql.ok(f"{{ licenses {{ nodes {{ {LICENSE} }} }} }}", token=world.owner_token)
    [node] = data["licenses"]["nodes"]
    assert node["machines"][0]["fingerprint"] == "m-1"
    assert node["machines"][0]["alive"] is True
