"""The product's endpoints: every validation code, heartbeats and their window, revocation at
the next heartbeat, signing key rotation with overlap, the JWKS, signed files and lists."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.db import Database
from app.kit import clock
from app.licenses import tokens
from app.licenses.signing import public_key_of
from tests.helpers import GraphQL, World, gid
from tests.licenses.support import (
    LICENSE_REVOKE,
    LICENSE_SUSPEND,
    SIGNING_KEY_ROTATE,
    counts,
    events,
    heartbeat,
    issue,
    new_license,
    validate,
)


async def test_every_validation_code(gql: GraphQL, world: World, client: httpx.AsyncClient) -> None:
    license, key = await issue(gql, world.master, new_license(world, maxMachines=1))
    floating, floating_key = await issue(gql, world.master, new_license(world, maxMachines=0))
    valid = await validate(client, floating_key)
    assert valid["valid"] is True
    assert valid["code"] == "VALID"
    assert valid["license"]["id"] == floating["id"]
    assert (await validate(client, key))["code"] == "FINGERPRINT_REQUIRED"
    assert (await validate(client, key, "m-1"))["code"] == "VALID"
    await heartbeat(client, key, "m-1")
    assert (await validate(client, key, "m-1"))["code"] == "VALID"
    assert (await validate(client, key, "m-2"))["code"] == "TOO_MANY_MACHINES"
    # Well signed by a key nobody published, malformed, or altered: INVALID_SIGNATURE.
    forged = tokens.sign(Ed25519PrivateKey.generate(), "sgk_nobody", tokens.LICENSE, {"lid": "x"})
    header, _body, signature = key.split(".")
    altered = f"{header}.{tokens.b64encode(b'{}')}.{signature}"
    for bad in (forged, "not-a-license", altered, "a.b.c"):
        answer = await validate(client, bad)
        assert answer == {"valid": False, "code": "INVALID_SIGNATURE", "license": None}, bad
    assert (await validate(client, key + "x"))["code"] == "INVALID_SIGNATURE"
    await LICENSE_SUSPEND.ok(gql, {"licenseId": license["id"]}, token=world.master)
    assert (await validate(client, key, "m-1"))["code"] == "SUSPENDED"
    await LICENSE_REVOKE.ok(gql, {"licenseId": license["id"], "reason": "x"}, token=world.master)
    assert (await validate(client, key, "m-1"))["code"] == "REVOKED"
    _expiring, expiring_key = await issue(
        gql,
        world.master,
        new_license(world, maxMachines=0, expiresAt=(clock.now() + timedelta(days=2)).isoformat()),
    )
    assert (await validate(client, expiring_key))["code"] == "VALID"
    with clock.travel(timedelta(days=3)):
        answer = await validate(client, expiring_key)
        assert answer["code"] == "EXPIRED"
        assert answer["license"]["status"] == "EXPIRED"


async def test_not_found_for_a_well_signed_unknown_key(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    from tests.licenses.support import LICENSE_REISSUE

    license, key = await issue(gql, world.master, new_license(world, maxMachines=0))
    await LICENSE_REISSUE.ok(gql, {"licenseId": license["id"]}, token=world.master)
    answer = await validate(client, key)
    assert answer == {"valid": False, "code": "NOT_FOUND", "license": None}


async def test_heartbeat_activates_while_seats_remain_and_the_window_frees_them(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    license, key = await issue(gql, world.master, new_license(world, maxMachines=2))
    assert (await heartbeat(client, key, None))["code"] == "FINGERPRINT_REQUIRED"
    first = await heartbeat(client, key, "m-1", hostname="a", platform="linux")
    assert first["valid"] is True
    assert first["heartbeatWindowSeconds"] == 600
    assert (await heartbeat(client, key, "m-2"))["code"] == "VALID"
    assert (await heartbeat(client, key, "m-3"))["code"] == "TOO_MANY_MACHINES"
    with clock.travel(timedelta(minutes=9)):
        assert (await heartbeat(client, key, "m-1"))["code"] == "VALID"  # still counted
        assert (await heartbeat(client, key, "m-3"))["code"] == "TOO_MANY_MACHINES"
    with clock.travel(timedelta(minutes=11)):
        # m-2 fell silent past the window: its seat is free; m-1 beat at minute 9.
        assert (await heartbeat(client, key, "m-3"))["code"] == "VALID"
        assert (await validate(client, key, "m-2"))["code"] == "TOO_MANY_MACHINES"
        data = await gql.ok(
            "query($id: ID!) { license(id: $id) { machines { fingerprint alive } "
            "activations { fingerprint event } } }",
            {"id": license["id"]},
            token=world.master,
        )
    alive = {m["fingerprint"]: m["alive"] for m in data["license"]["machines"]}
    assert alive == {"m-1": True, "m-2": False, "m-3": True}
    assert [a["fingerprint"] for a in data["license"]["activations"]] == ["m-1", "m-2", "m-3"]
    assert len(await events(db, "license.machine_activate")) == 3


async def test_revocation_takes_effect_at_the_next_heartbeat(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    license, key = await issue(gql, world.master, new_license(world))
    assert (await heartbeat(client, key, "m-1"))["code"] == "VALID"
    await LICENSE_REVOKE.ok(
        gql, {"licenseId": license["id"], "reason": "refunded"}, token=world.master
    )
    beat = await heartbeat(client, key, "m-1")
    assert beat["valid"] is False
    assert beat["code"] == "REVOKED"
    listed = await client.get("/v1/licenses/revocations")
    assert listed.status_code == 200
    assert "max-age=3600" in listed.headers["cache-control"]
    body = listed.json()
    assert [entry["id"] for entry in body["revoked"]] == [license["id"]]
    parsed = tokens.parse(body["token"])
    assert parsed is not None
    assert parsed.typ == tokens.REVOCATIONS
    assert parsed.payload["revoked"] == body["revoked"]
    assert parsed.payload["exp"] - parsed.payload["iat"] == 3600
    jwks = (await client.get("/.well-known/jwks.json")).json()
    [jwk] = [k for k in jwks["keys"] if k["kid"] == parsed.kid]
    assert tokens.verified(parsed, public_key_of(jwk["x"]))


async def test_jwks_publishes_okp_keys_cacheably(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    await issue(gql, world.master, new_license(world))
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert "public" in response.headers["cache-control"]
    [key] = response.json()["keys"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["alg"] == "EdDSA"
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}  # never a private part
    again = await client.get(
        "/.well-known/jwks.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


async def test_rotation_overlap_keeps_old_licenses_verifying(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    license, old_key = await issue(gql, world.master, new_license(world, maxMachines=0))
    rotated = await SIGNING_KEY_ROTATE.ok(gql, {"overlapHours": 24}, token=world.master)
    [old] = rotated["retiring"]
    assert old["kid"] == license["signingKeyId"]
    assert old["status"] == "RETIRING"
    new = rotated["signingKey"]
    assert new["status"] == "ACTIVE"
    assert new["kid"] != old["kid"]
    _, new_key = await issue(gql, world.master, new_license(world, maxMachines=0))
    assert tokens.parse(new_key).kid == new["kid"]  # type: ignore[union-attr]
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {old["kid"], new["kid"]}
    assert (await validate(client, old_key))["code"] == "VALID"
    with clock.travel(timedelta(hours=23)):
        assert (await validate(client, old_key))["code"] == "VALID"
    with clock.travel(timedelta(hours=25)):
        assert (await validate(client, old_key))["code"] == "INVALID_SIGNATURE"
        assert (await validate(client, new_key))["code"] == "VALID"
        kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
        assert kids == {new["kid"]}
        listed = await gql.ok("{ signingKeys { nodes { kid status } } }", token=world.master)
        statuses = {n["kid"]: n["status"] for n in listed["signingKeys"]["nodes"]}
        assert statuses == {old["kid"]: "RETIRED", new["kid"]: "ACTIVE"}
    assert len(await events(db, "signing_key.rotate")) == 1


async def test_rotation_refusals_dry_run_and_permissions(
    gql: GraphQL, world: World, db: Database
) -> None:
    found = await SIGNING_KEY_ROTATE.refused(gql, {"overlapHours": -1}, token=world.master)
    assert found == [("INVALID", ["input", "overlapHours"])]
    missing = await SIGNING_KEY_ROTATE.refused(
        gql,
        {"overlapHours": 1, "projectId": "prj_01m8t3sj2hea3vx19fv1jh07ze"},
        token=world.master,
    )
    assert missing == [("NOT_FOUND", ["input", "projectId"])]
    before = await counts(db)
    await SIGNING_KEY_ROTATE.ok(gql, {"overlapHours": 1}, token=world.master, dry_run=True)
    assert await counts(db) == before
    for token in (world.owner_token, world.member_token):
        response = await SIGNING_KEY_ROTATE.send(gql, {"overlapHours": 1}, token=token)
        assert response.codes == ["FORBIDDEN"]
    listed = await gql("{ signingKeys { totalCount } }", token=world.owner_token)
    assert listed.codes == ["FORBIDDEN"]
    first = await SIGNING_KEY_ROTATE.ok(gql, {"overlapHours": 1}, token=world.master, key="r1")
    again = await SIGNING_KEY_ROTATE.ok(gql, {"overlapHours": 1}, token=world.master, key="r1")
    assert again["signingKey"]["kid"] == first["signingKey"]["kid"]
    assert (await counts(db))["signing_keys"] == 1


async def test_a_project_signs_with_its_own_key(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    from tests.customers.support import project

    prj = await project(db, world.own)
    rotated = await SIGNING_KEY_ROTATE.ok(
        gql, {"overlapHours": 0, "projectId": gid("prj", prj)}, token=world.master
    )
    assert rotated["signingKey"]["projectId"] == gid("prj", prj)
    license, key = await issue(
        gql, world.master, new_license(world, maxMachines=0, projectId=gid("prj", prj))
    )
    assert license["signingKeyId"] == rotated["signingKey"]["kid"]
    assert (await validate(client, key))["code"] == "VALID"
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Project { signingKeys { nodes { kid } } } } }",
        {"id": gid("prj", prj)},
        token=world.master,
    )
    assert data["node"]["signingKeys"]["nodes"] == [{"kid": rotated["signingKey"]["kid"]}]
    hidden = await gql(
        "query($id: ID!) { node(id: $id) { ... on Project { signingKeys { totalCount } } } }",
        {"id": gid("prj", prj)},
        token=world.owner_token,
    )
    assert hidden.codes == ["FORBIDDEN"]


async def test_license_file_is_signed_with_a_ttl(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    license, key = await issue(gql, world.master, new_license(world))
    other, _ = await issue(
        gql, world.master, new_license(world, customerId=gid("cus", world.other))
    )
    await heartbeat(client, key, "m-1")
    query = "query($id: ID!, $ttl: Int) { licenseFile(id: $id, ttlDays: $ttl) { token expiresAt } }"
    data = await gql.ok(query, {"id": license["id"], "ttl": 7}, token=world.owner_token)
    parsed = tokens.parse(data["licenseFile"]["token"])
    assert parsed is not None
    assert parsed.typ == tokens.LICENSE_FILE
    assert parsed.payload["lid"] == license["id"]
    assert parsed.payload["machines"] == ["m-1"]
    assert parsed.payload["status"] == "ACTIVE"
    assert parsed.payload["exp"] - parsed.payload["iat"] == 7 * 86400
    jwks = (await client.get("/.well-known/jwks.json")).json()
    [jwk] = [k for k in jwks["keys"] if k["kid"] == parsed.kid]
    assert tokens.verified(parsed, public_key_of(jwk["x"]))
    hidden = await gql.ok(query, {"id": other["id"]}, token=world.owner_token)
    assert hidden == {"licenseFile": None}
    bad = await gql(query, {"id": license["id"], "ttl": 0}, token=world.master)
    assert bad.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("body", [{"fingerprint": "x"}, {"key": 5}])
async def test_a_malformed_body_is_a_400(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/v1/licenses/validate", json=body)
    assert response.status_code == 400
