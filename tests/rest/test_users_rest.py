"""REST endpoints of the users domain: `POST /v1/password-reset` and `POST /v1/feedback`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.models.tables import FEEDBACK, PASSWORD_RESET_TOKENS
from tests.helpers import DEFAULT_PASSWORD, GraphQL, World
from tests.support import rows
from tests.users.support import (
    NEW_PASSWORD,
    SESSION_REVOKE,
    USER_DELETE,
    USER_IMPERSONATE,
    USER_PASSWORD_RESET,
    complete_reset,
    count,
    events,
    login,
    reset_token_of,
    rest_error,
    send_feedback,
    token_works,
    uid,
)

# ---------------------------------------------------------------- POST /v1/password-reset


async def _reset_token(gql: GraphQL, world: World) -> str:
    payload = await USER_PASSWORD_RESET.ok(gql, {"userId": uid(world.member)}, token=world.master)
    return reset_token_of(payload["resetUrl"])


async def test_a_reset_link_sets_the_new_password(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)

    response = await complete_reset(client, token)

    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "userId": uid(world.member)}
    assert (await login(gql, "member@own.test", NEW_PASSWORD))["token"]
    old = await login(gql, "member@own.test", DEFAULT_PASSWORD)
    assert old["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_a_reset_signs_the_user_out_everywhere(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)

    await complete_reset(client, token)

    assert not await token_works(gql, world.member_token)


async def test_a_reset_is_audited_as_the_user_without_the_password(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    token = await _reset_token(gql, world)

    await complete_reset(client, token)

    (event,) = await events(db, "user.password_reset_complete")
    assert (event.actor_type, event.actor_id) == ("USER", uid(world.member))
    assert event.target_id == uid(world.member)
    assert NEW_PASSWORD not in repr(tuple(event))
    assert token not in repr(tuple(event))


async def test_a_used_link_is_refused(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)
    await complete_reset(client, token)

    again = await complete_reset(client, token, "yet another good password")

    assert again.status_code == 400
    assert rest_error(again)["code"] == "TOKEN_USED"
    assert rest_error(again)["field"] == ["token"]
    assert (await login(gql, "member@own.test", NEW_PASSWORD))["token"]


async def test_an_expired_link_is_refused(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)

    with clock.travel(timedelta(hours=2)):
        response = await complete_reset(client, token)

    assert response.status_code == 400
    assert rest_error(response)["code"] == "TOKEN_EXPIRED"


async def test_a_link_works_until_its_hour_is_over(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)

    with clock.travel(timedelta(minutes=59)):
        response = await complete_reset(client, token)
        assert response.status_code == 200, response.text
        assert response.json() == {"ok": True, "userId": uid(world.member)}
        assert (await login(gql, "member@own.test", NEW_PASSWORD))["token"]
        old = await login(gql, "member@own.test", DEFAULT_PASSWORD)
        assert old["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_an_unknown_token_is_invalid(client: httpx.AsyncClient, db: Database) -> None:
    response = await complete_reset(client, "admr_" + "x" * 40)

    assert response.status_code == 400
    assert rest_error(response)["code"] == "TOKEN_INVALID"
    assert rest_error(response)["field"] == ["token"]


async def test_a_weak_password_keeps_the_link_usable(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    token = await _reset_token(gql, world)

    for weak in ("short", "member@own.test", "MEMBER"):
        response = await complete_reset(client, token, weak)
        assert response.status_code == 400, weak
        assert rest_error(response)["code"] == "WEAK_PASSWORD"
        assert rest_error(response)["field"] == ["password"]
    assert await count(db, PASSWORD_RESET_TOKENS, PASSWORD_RESET_TOKENS.c.used_at.is_(None)) == 1
    for weak in ("short", "member@own.test", "MEMBER"):
        assert (await login(gql, "member@own.test", weak))["token"] is None, weak
    assert (await complete_reset(client, token)).status_code == 200
    assert (await login(gql, "member@own.test", NEW_PASSWORD))["token"]


async def test_a_link_of_a_deleted_user_is_invalid(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)
    await USER_DELETE.ok(gql, {"userId": uid(world.member), "confirm": True}, token=world.master)

    response = await complete_reset(client, token)

    assert response.status_code == 400
    assert rest_error(response)["code"] == "TOKEN_INVALID"


async def test_a_link_is_used_once_even_by_concurrent_requests(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    token = await _reset_token(gql, world)

    passwords = ("first concurrent password", "second concurrent password")
    responses = await asyncio.gather(
        *(complete_reset(client, token, password) for password in passwords)
    )

    assert sorted(response.status_code for response in responses) == [200, 400]
    refused = next(response for response in responses if response.status_code == 400)
    assert rest_error(refused)["code"] == "TOKEN_USED"
    # The password of the request that won is the one that holds.
    won, lost = passwords if responses[0].status_code == 200 else passwords[::-1]
    assert (await login(gql, "member@own.test", won))["token"]
    assert (await login(gql, "member@own.test", lost))["token"] is None


async def test_a_wrong_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/password-reset",
        content="token=x&password=y",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415
    assert rest_error(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/v1/password-reset", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert rest_error(response)["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": NEW_PASSWORD}, "token"),
        ({"token": "admr_x"}, "password"),
        ({"token": 5, "password": NEW_PASSWORD}, "token"),
    ],
)
async def test_missing_or_mistyped_fields_are_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/password-reset", json=body)

    assert response.status_code == 400
    assert rest_error(response)["code"] == "INVALID"
    assert rest_error(response)["field"] == [field]


async def test_only_post_is_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/password-reset")

    assert response.status_code == 405


# ---------------------------------------------------------------- POST /v1/feedback

IDEA = {"kind": "IDEA", "message": "Dark mode please", "rating": 5, "page": "/settings"}


async def test_feedback_is_created_for_the_signed_in_user(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    response = await send_feedback(client, world.member_token, IDEA)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("fbk_")
    assert (body["kind"], body["rating"]) == ("IDEA", 5)
    assert body["createdAt"]
    [stored] = await rows(db, sa.select(FEEDBACK).where(FEEDBACK.c.user_id == world.member.id))
    assert (stored.kind, stored.message, stored.rating, stored.page) == (
        "IDEA",
        "Dark mode please",
        5,
        "/settings",
    )


async def test_feedback_at_its_limits_is_kept_whole(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    message = "".join(chr(ord("a") + n % 26) for n in range(5000))
    page = "/" + "p" * 499
    response = await send_feedback(
        client, world.member_token, {**IDEA, "message": message, "page": page}
    )

    assert response.status_code == 201, response.text
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Feedback { message page } } }",
        {"id": response.json()["id"]},
        token=world.master,
    )
    assert data["node"] == {"message": message, "page": page}


async def test_feedback_is_audited_as_the_user(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    await send_feedback(client, world.member_token, IDEA)

    (event,) = await events(db, "feedback.create")
    assert (event.actor_type, event.actor_id) == ("USER", uid(world.member))
    assert event.diff["kind"]["after"] == "IDEA"


async def test_feedback_needs_only_kind_and_message(
    world: World, client: httpx.AsyncClient
) -> None:
    response = await send_feedback(client, world.member_token, {"kind": "BUG", "message": "404"})

    assert response.status_code == 201, response.text
    assert response.json()["rating"] is None


async def test_feedback_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await send_feedback(client, None, IDEA)

    assert response.status_code == 401
    assert rest_error(response)["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["adms_" + "x" * 40, "nonsense", "admr_" + "x" * 40])
async def test_feedback_with_a_bad_token_is_401(client: httpx.AsyncClient, token: str) -> None:
    response = await send_feedback(client, token, IDEA)

    assert response.status_code == 401
    assert rest_error(response)["code"] == "UNAUTHENTICATED"


async def test_feedback_with_a_revoked_session_is_401(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    await SESSION_REVOKE.payload(gql, {}, token=world.member_token)

    response = await send_feedback(client, world.member_token, IDEA)

    assert response.status_code == 401


async def test_feedback_with_the_master_key_is_403(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    response = await send_feedback(client, world.master, IDEA)

    assert response.status_code == 403
    assert rest_error(response)["code"] == "FORBIDDEN"
    assert await count(db, FEEDBACK) == 0


async def test_feedback_with_a_read_only_impersonation_is_403_and_audited(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    issued = await USER_IMPERSONATE.ok(gql, {"userId": uid(world.member)}, token=world.master)

    response = await send_feedback(client, issued["token"], IDEA)

    assert response.status_code == 403
    assert rest_error(response)["code"] == "READ_ONLY_SESSION"
    assert await count(db, FEEDBACK) == 0
    (event,) = await events(db, "impersonation.request")
    assert event.actor_id == uid(world.member)
    assert event.impersonator_id.startswith("mky_")
    assert event.diff["channel"]["after"] == "rest"
    assert event.diff["path"]["after"] == "/v1/feedback"
    assert event.diff["method"]["after"] == "POST"


async def test_feedback_with_a_writable_impersonation_names_both(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    issued = await USER_IMPERSONATE.ok(
        gql, {"userId": uid(world.member), "readOnly": False}, token=world.staff_token
    )

    response = await send_feedback(client, issued["token"], IDEA)

    assert response.status_code == 201, response.text
    (event,) = await events(db, "feedback.create")
    assert (event.actor_id, event.impersonator_id) == (uid(world.member), uid(world.staff))


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"kind": "RANT"}, "INVALID", "kind"),
        ({"kind": "idea"}, "INVALID", "kind"),
        ({"kind": None}, "INVALID", "kind"),
        ({"message": "  "}, "REQUIRED", "message"),
        ({"message": "x" * 5001}, "TOO_LONG", "message"),
        ({"message": 12}, "INVALID", "message"),
        ({"rating": 0}, "INVALID", "rating"),
        ({"rating": 6}, "INVALID", "rating"),
        ({"rating": "5"}, "INVALID", "rating"),
        ({"rating": True}, "INVALID", "rating"),
        ({"rating": 4.5}, "INVALID", "rating"),
        ({"page": "/" * 501}, "TOO_LONG", "page"),
    ],
)
async def test_bad_feedback_is_400_with_code_and_field(
    world: World,
    client: httpx.AsyncClient,
    db: Database,
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    response = await send_feedback(client, world.member_token, {**IDEA, **change})

    assert response.status_code == 400, response.text
    assert rest_error(response)["code"] == code
    assert rest_error(response)["field"] == [field]
    assert await count(db, FEEDBACK) == 0


async def test_several_feedback_problems_are_reported_together(
    world: World, client: httpx.AsyncClient
) -> None:
    response = await send_feedback(
        client, world.member_token, {"kind": "RANT", "message": " ", "rating": 9}
    )

    assert response.status_code == 400
    problems = [
        (error["extensions"]["code"], error["extensions"]["field"])
        for error in response.json()["errors"]
    ]
    assert problems == [("INVALID", ["kind"]), ("REQUIRED", ["message"]), ("INVALID", ["rating"])]


async def test_feedback_as_a_form_is_415(world: World, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/feedback",
        content="kind=IDEA",
        headers={
            "Authorization": f"Bearer {world.member_token}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert response.status_code == 415
    assert rest_error(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_feedback_that_is_not_json_is_400(world: World, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/feedback",
        content=b"{oops",
        headers={
            "Authorization": f"Bearer {world.member_token}",
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 400
    assert rest_error(response)["code"] == "BAD_REQUEST"
