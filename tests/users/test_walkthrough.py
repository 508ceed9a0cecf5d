"""The README walk-through, end to end: suspend → impersonate → unsuspend."""

from __future__ import annotations

import httpx

from tests.helpers import GraphQL, World, gid

SUSPEND = """
mutation($id: ID!) {
  userSuspend(input: {userId: $id, reason: "Chargebacks under review", durationHours: 48}) {
    user { id status suspension { reason until by } }
    revokedSessions
    userErrors { field message code }
  }
}"""
IMPERSONATE = """
mutation($id: ID!) {
  userImpersonate(input: {userId: $id, readOnly: true, minutes: 15}) {
    token expiresAt readOnly user { email }
    userErrors { code }
  }
}"""
UNSUSPEND = """
mutation($id: ID!) {
  userUnsuspend(input: {userId: $id, reason: "Resolved"}) {
    user { status suspension { reason } }
    userErrors { code }
  }
}"""


async def test_suspend_impersonate_unsuspend(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    owner = gid("usr", world.owner)
    suspended = await gql.ok(SUSPEND, {"id": owner}, token=world.master)
    payload = suspended["userSuspend"]
    assert payload["userErrors"] == []
    assert payload["user"]["status"] == "SUSPENDED"
    assert payload["user"]["suspension"]["reason"] == "Chargebacks under review"
    assert payload["revokedSessions"] == 2  # the owner's own session and the read-only one

    login = await gql(
        'mutation { sessionCreate(input: {email: "owner@own.test", password: "correct horse battery staple"}) { token userErrors { code } } }'
    )
    assert login.data["sessionCreate"]["userErrors"] == [{"code": "USER_SUSPENDED"}]

    issued = (await gql.ok(IMPERSONATE, {"id": owner}, token=world.master))["userImpersonate"]
    assert issued["readOnly"] is True
    token = issued["token"]
    me = await gql.ok(
        "{ me { scope readOnly user { email } customers { slug } impersonatorId } }", token=token
    )
    assert me["me"]["scope"] == "SESSION"
    assert me["me"]["readOnly"] is True
    assert me["me"]["customers"] == [{"slug": "own-co"}]
    refused = await gql(
        "mutation { sessionRevoke(input: {}) { userErrors { code } } }", token=token
    )
    assert refused.codes == ["READ_ONLY_SESSION"]

    events = await gql.ok(
        '{ auditEvents(filter: {action: "impersonation.request"}) { totalCount edges { node { impersonatorId targetId } } } }',
        token=world.master,
    )
    assert events["auditEvents"]["totalCount"] == 2
    assert {e["node"]["targetId"] for e in events["auditEvents"]["edges"]} == {owner}

    lifted = (await gql.ok(UNSUSPEND, {"id": owner}, token=world.master))["userUnsuspend"]
    assert lifted["user"]["status"] == "ACTIVE"
    assert lifted["user"]["suspension"] is None

    notes = await gql.ok(
        "query($id: ID!) { user(id: $id) { notesCount notes { edges { node { category body } } } activity { totalCount } } }",
        {"id": owner},
        token=world.master,
    )
    categories = [e["node"]["category"] for e in notes["user"]["notes"]["edges"]]
    assert categories.count("SUSPENSION") == 2
    assert notes["user"]["activity"]["totalCount"] >= 3


async def test_password_reset_and_feedback(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    owner = gid("usr", world.owner)
    issued = await gql.ok(
        "mutation($id: ID!) { userPasswordReset(input: {userId: $id}) { resetUrl expiresAt userErrors { code } } }",
        {"id": owner},
        token=world.master,
    )
    url = issued["userPasswordReset"]["resetUrl"]
    token = url.split("token=")[1]
    weak = await client.post("/v1/password-reset", json={"token": token, "password": "short"})
    assert weak.status_code == 400
    assert weak.json()["errors"][0]["extensions"]["code"] == "WEAK_PASSWORD"
    done = await client.post(
        "/v1/password-reset", json={"token": token, "password": "a much better password"}
    )
    assert done.status_code == 200, done.text
    again = await client.post(
        "/v1/password-reset", json={"token": token, "password": "a much better password"}
    )
    assert again.status_code == 400
    assert again.json()["errors"][0]["extensions"]["code"] == "TOKEN_USED"

    login = await gql.ok(
        'mutation { sessionCreate(input: {email: "owner@own.test", password: "a much better password"}) { token userErrors { code } } }'
    )
    session_token = login["sessionCreate"]["token"]
    sent = await client.post(
        "/v1/feedback",
        json={"kind": "IDEA", "message": "Dark mode please", "rating": 5, "page": "/settings"},
        headers={"Authorization": f"Bearer {session_token}"},
    )
    assert sent.status_code == 201, sent.text
    listed = await gql.ok(
        "{ feedback { totalCount edges { node { kind message rating user { email } } } } }",
        token=world.master,
    )
    assert listed["feedback"]["edges"][0]["node"] == {
        "kind": "IDEA",
        "message": "Dark mode please",
        "rating": 5,
        "user": {"email": "owner@own.test"},
    }


async def test_delete_soft_and_hard(gql: GraphQL, world: World) -> None:
    member = gid("usr", world.member)
    unconfirmed = await gql.ok(
        "mutation($id: ID!) { userDelete(input: {userId: $id}) { userErrors { code field } } }",
        {"id": member},
        token=world.master,
    )
    assert unconfirmed["userDelete"]["userErrors"] == [
        {"code": "CONFIRMATION_REQUIRED", "field": ["input", "confirm"]}
    ]
    owner_delete = await gql.ok(
        "mutation($id: ID!) { userDelete(input: {userId: $id, confirm: true}) { userErrors { code } } }",
        {"id": gid("usr", world.owner)},
        token=world.master,
    )
    assert owner_delete["userDelete"]["userErrors"] == [{"code": "LAST_OWNER"}]
    soft = await gql.ok(
        "mutation($id: ID!) { userDelete(input: {userId: $id, confirm: true}) { user { status email name } removed { kind count } userErrors { code } } }",
        {"id": member},
        token=world.master,
    )
    assert soft["userDelete"]["user"]["status"] == "DELETED"
    assert soft["userDelete"]["user"]["name"] == ""
    hard = await gql.ok(
        'mutation($id: ID!) { userDelete(input: {userId: $id, confirm: true, hard: true}, idempotencyKey: "k1") { user { id } deletedUserId removed { kind count } userErrors { code } } }',
        {"id": member},
        token=world.master,
    )
    removed = {r["kind"]: r["count"] for r in hard["userDelete"]["removed"]}
    assert removed["users"] == 1
    assert removed["sessions"] == 1
    replay = await gql(
        'mutation($id: ID!) { userDelete(input: {userId: $id, confirm: true, hard: true}, idempotencyKey: "k1") { user { id } deletedUserId removed { kind count } userErrors { code } } }',
        {"id": member},
        token=world.master,
    )
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.data["userDelete"]["removed"] == hard["userDelete"]["removed"]
