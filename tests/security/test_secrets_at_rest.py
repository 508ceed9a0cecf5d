"""Secrets sent through an impersonation token reach neither the database nor the logs; nor
do webhook signing secrets and mailed links (encrypted at rest, erased once sent).

An operator impersonating a user can type a password, an invitation token or an API secret into
a request. The audit event every impersonated request writes keeps what the request asked for
(channel, operation name and type, root fields, variable names; method and path for REST), never
a value; the access log keeps parameter names and the operation name, never a value.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shutil
import sqlite3
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.db import Database
from app.kit.crypto import token_hash
from app.models import metadata
from app.settings import Settings
from tests.helpers import DEFAULT_PASSWORD, GraphQL, Mutation, World, gid
from tests.mail import support as mail
from tests.users.support import USER_IMPERSONATE, events, rows, uid

INVITATION_SECRET = "invtok-7Qm2LwX9"
PASSWORD_SECRET = "pw-Hunter2-Zr8k"
VARIABLE_SECRET = "varsecret-Jd4Nq"
QUERY_STRING_SECRET = "qs-secret-P3vT"
BROKEN_SECRET = "broken-doc-K7wE"
SECRETS = (INVITATION_SECRET, PASSWORD_SECRET, VARIABLE_SECRET, QUERY_STRING_SECRET, BROKEN_SECRET)

ACCEPT = f'mutation Accept {{ invitationAccept(input: {{token: "{INVITATION_SECRET}"}}) {{ userErrors {{ code }} }} }}'
LOGIN = (
    "mutation Login($email: String!) { sessionCreate(input: "
    f'{{email: $email, password: "{PASSWORD_SECRET}"}}) {{ userErrors {{ code }} }} }}'
)
LOOKUP = (
    "query Lookup($search: String, $first: Int) "
    "{ users(first: $first, filter: {search: $search}) { totalCount } ...Me }"
    " fragment Me on Query { me { scope } }"
)
BROKEN = f'mutation {{ sessionCreate(input: {{password: "{BROKEN_SECRET}"'
FEEDBACK = {"kind": "IDEA", "message": "Dark mode please", "rating": 5, "page": "/settings"}


async def _impersonation(gql: GraphQL, world: World) -> str:
    payload = await USER_IMPERSONATE.ok(
        gql, {"userId": uid(world.owner), "readOnly": False}, token=world.master
    )
    token: str = payload["token"]
    return token


async def _send_secrets(client: httpx.AsyncClient, gql: GraphQL, token: str) -> list[str]:
    """Every way a secret can ride on an impersonated request, each answered normally;
    returns the request ids of the five requests."""
    accepted = await gql(ACCEPT, token=token)
    assert accepted.data["invitationAccept"]["userErrors"] == [{"code": "TOKEN_INVALID"}]
    login = await gql(LOGIN, {"email": "owner@own.test"}, token=token)
    assert login.data["sessionCreate"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    lookup = await client.get(
        "/graphql",
        params={
            "query": LOOKUP,
            "variables": json.dumps({"search": VARIABLE_SECRET, "first": 5}),
            "operationName": "Lookup",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert lookup.status_code == 200, lookup.text
    assert lookup.json()["data"]["users"]["totalCount"] == 0
    feedback = await client.post(
        f"/v1/feedback?apiToken={QUERY_STRING_SECRET}&page=2",
        json=FEEDBACK,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert feedback.status_code == 201, feedback.text
    broken = await gql(BROKEN, token=token)
    assert broken.codes == ["GRAPHQL_PARSE_FAILED"]
    return [
        response.headers["x-request-id"] for response in (accepted, login, lookup, feedback, broken)
    ]


async def _every_stored_value(db: Database) -> list[str]:
    found: list[str] = []
    for table in metadata.sorted_tables:
        for row in await rows(db, sa.select(table)):
            found.extend(repr(value) for value in row)
    return found


async def test_no_secret_sent_through_an_impersonation_token_is_stored(
    client: httpx.AsyncClient, gql: GraphQL, world: World, db: Database
) -> None:
    token = await _impersonation(gql, world)

    await _send_secrets(client, gql, token)

    audit_columns = [
        repr(value)
        for row in await rows(db, sa.select(metadata.tables["audit_events"]))
        for value in row
    ]
    assert len(await events(db, "impersonation.request")) == 5
    for secret in SECRETS:
        assert not [value for value in audit_columns if secret in value], secret
        assert not [value for value in await _every_stored_value(db) if secret in value], secret
    listed = await client.post(
        "/graphql",
        json={"query": "{ auditEvents(first: 50) { edges { node { action diff } } } }"},
        headers={"Authorization": f"Bearer {world.master}"},
    )
    assert listed.status_code == 200
    assert "impersonation.request" in listed.text
    for secret in SECRETS:
        assert secret not in listed.text


def _after(event: Any) -> dict[str, Any]:
    return {name: change["after"] for name, change in event.diff.items()}


async def test_the_audit_event_names_what_was_asked_without_values(
    client: httpx.AsyncClient, gql: GraphQL, world: World, db: Database
) -> None:
    token = await _impersonation(gql, world)

    await _send_secrets(client, gql, token)

    accept, login, lookup, feedback, broken = [
        _after(event) for event in await events(db, "impersonation.request")
    ]
    assert accept == {
        "channel": "graphql",
        "operationName": "Accept",
        "operationType": "mutation",
        "rootFields": ["invitationAccept"],
        "variables": [],
    }
    assert login == {
        "channel": "graphql",
        "operationName": "Login",
        "operationType": "mutation",
        "rootFields": ["sessionCreate"],
        "variables": ["email"],
    }
    assert lookup == {
        "channel": "graphql",
        "operationName": "Lookup",
        "operationType": "query",
        "rootFields": ["users", "me"],
        "variables": ["search", "first"],
    }
    assert feedback == {"channel": "rest", "method": "POST", "path": "/v1/feedback"}
    # An unparsable document: nothing of it is kept but the fact that it came.
    assert broken == {"channel": "graphql", "rootFields": [], "variables": []}
    assert broken.get("operationType") is None


async def test_anonymous_unknown_and_malformed_operation_names(
    gql: GraphQL, world: World, db: Database
) -> None:
    token = await _impersonation(gql, world)

    await gql.ok("{ a: me { scope } b: me { scope } }", token=token)
    picked = await gql.client.post(
        "/graphql",
        json={
            "query": "query One { me { scope } } query Two { me { scope } }",
            "operationName": "Ghost",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert picked.status_code < 500, picked.text
    not_a_name = await gql.client.post(
        "/graphql",
        json={"query": "{ me { scope } }", "operationName": f"my password {PASSWORD_SECRET}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert not_a_name.status_code < 500, not_a_name.text

    anonymous, unknown, unnamed = [
        _after(event) for event in await events(db, "impersonation.request")
    ]
    assert anonymous == {
        "channel": "graphql",
        "operationType": "query",
        "rootFields": ["me"],
        "variables": [],
    }
    # The operation named does not exist: the name is kept, the type cannot be known.
    assert unknown == {
        "channel": "graphql",
        "operationName": "Ghost",
        "rootFields": [],
        "variables": [],
    }
    # An operation name is a GraphQL name; free text sent in its place is not kept.
    assert unnamed == {"channel": "graphql", "rootFields": [], "variables": []}


async def test_the_access_log_keeps_parameter_names_and_the_operation_name_only(
    client: httpx.AsyncClient,
    gql: GraphQL,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await _impersonation(gql, world)

    with caplog.at_level(logging.INFO, logger="app.access"):
        request_ids = await _send_secrets(client, gql, token)

    lines = [record for record in caplog.records if record.name == "app.access"]
    assert len(lines) == 5
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in (*SECRETS, token):
            assert secret not in text
    get, rest = lines[2], lines[3]
    assert get.getMessage().startswith(
        "GET /graphql?query=***&variables=***&operationName=Lookup 200 "
    )
    assert get.__dict__["query"] == "query=***&variables=***&operationName=Lookup"
    assert (get.__dict__["method"], get.__dict__["path"], get.__dict__["status"]) == (
        "GET",
        "/graphql",
        200,
    )
    assert rest.__dict__["query"] == "apiToken=***&page=***"
    assert (rest.__dict__["method"], rest.__dict__["path"], rest.__dict__["status"]) == (
        "POST",
        "/v1/feedback",
        201,
    )
    assert [record.__dict__["request_id"] for record in lines] == request_ids
    for record in lines:
        assert record.levelno == logging.INFO
        assert isinstance(record.__dict__["duration_ms"], float)


async def test_an_api_key_secret_is_stored_nowhere(
    client: httpx.AsyncClient, gql: GraphQL, world: World, db: Database
) -> None:
    """Issued, replayed, rotated and verified: neither secret reaches any row (keys, audit
    events, outbox events, idempotency records), only their SHA-256."""
    from tests.keys.support import API_KEY_CREATE, API_KEY_ROTATE, new_key, verify

    token = await _impersonation(gql, world)
    created = await API_KEY_CREATE.ok(gql, new_key(world), token=token, key="once")
    replayed = await API_KEY_CREATE.ok(gql, new_key(world), token=token, key="once")
    assert replayed["secret"] is None
    rotated = await API_KEY_ROTATE.ok(
        gql, {"apiKeyId": created["apiKey"]["id"], "gracePeriodSeconds": 60}, token=world.master
    )
    secrets = (created["secret"], rotated["secret"])
    for secret in secrets:
        assert (await verify(client, world.master, secret)).json()["code"] == "VALID"
    stored = await _every_stored_value(db)
    for secret in secrets:
        assert not [value for value in stored if secret in value]
        # Nor its body without the prefix, as a redaction might keep it.
        assert not [value for value in stored if secret[8:] in value]


async def test_a_webhook_secret_and_a_mailed_link_are_never_stored_readable(
    gql: GraphQL,
    world: World,
    db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    create = Mutation("webhookEndpointCreate", "secret")
    invite = Mutation("invitationCreate", "acceptUrl")
    with caplog.at_level(logging.DEBUG):
        secret = (
            await create.ok(
                gql,
                {
                    "customerId": gid("cus", world.own),
                    "url": "https://93.184.215.14/hooks",
                    "eventTypes": ["member.added"],
                },
                token=world.owner_token,
            )
        )["secret"]
        link = (
            await invite.ok(
                gql,
                {"customerId": gid("cus", world.own), "email": "new@own.test", "role": "MEMBER"},
                token=world.owner_token,
            )
        )["acceptUrl"]
        token = link.rsplit("token=", 1)[1]
        secrets = (secret, secret.removeprefix("whsec_"), link, token)
        for value in secrets:
            assert not [v for v in await _every_stored_value(db) if value in v], value
        async with mail.smtp_server() as inbox:
            assert await mail.dispatcher(db, settings, inbox.port).step() == 1
        assert token in mail.Inbox.text(inbox.messages[0])
        for value in secrets:
            assert not [v for v in await _every_stored_value(db) if value in v], value
    for value in secrets:
        assert value not in caplog.text


async def test_a_signing_keys_private_half_is_never_readable_at_rest(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient, settings: Settings
) -> None:
    """Issuing a license makes the platform's signing key: at rest its private half is only
    ciphertext, nowhere in plain form (raw, base64url or PEM), and no API returns it."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from app.licenses import tokens
    from app.licenses.signing import private_key_of
    from tests.licenses.support import issue, new_license

    license, _ = await issue(gql, world.master, new_license(world))
    [key] = await rows(db, sa.select(metadata.tables["signing_keys"]))
    private = private_key_of(key, settings.resolved_secret_key())
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    forms = [tokens.b64encode(raw), raw.hex(), pem.splitlines()[1]]
    dumped = "\n".join(await _every_stored_value(db))
    for form in forms:
        assert form not in dumped
    assert key.private_key_encrypted.startswith("gAAAA")  # a Fernet token
    with pytest.raises(Exception):  # noqa: B017, PT011 - any other secret key fails to decrypt
        private_key_of(key, "another-secret-key")
    answers = [
        (await client.get("/.well-known/jwks.json")).text,
        json.dumps(
            await gql.ok(
                "{ signingKeys { nodes { kid publicKey status } } "
                "licenses { nodes { id signingKeyId } } }",
                token=world.master,
            )
        ),
    ]
    for answer in answers:
        for form in [*forms, key.private_key_encrypted]:
            assert form not in answer
    assert license["signingKeyId"] == key.kid


# ---------------------------------------------------------------- every kind, one full dump


async def _database_dump(settings: Settings) -> str:
    """Everything the database holds, as its own dump tool writes it: `pg_dump` on
    PostgreSQL, SQLite's `iterdump` (every table, every column, the schema too)."""
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        process = await asyncio.create_subprocess_exec(
            shutil.which("pg_dump") or "pg_dump",
            "--no-owner",
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database or "",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()
    with contextlib.closing(sqlite3.connect(url.database or "")) as connection:
        return "\n".join(connection.iterdump())


def _forms(secret: str) -> list[str]:
    """The secret, and its random part alone (what a redaction keeping the prefix leaves)."""
    body = secret.split("_", 1)[1] if re.match(r"^[a-z]{3,6}_", secret) else secret
    return [secret, body] if len(body) >= 16 else [secret]


async def test_no_kind_of_secret_is_in_a_full_dump_or_the_logs(
    client: httpx.AsyncClient,
    gql: GraphQL,
    world: World,
    db: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every kind of secret Admiral issues, each made the way a caller makes it, then the
    whole database dumped and every log record of the scenario read: none of them appears."""
    from tests.keys.support import API_KEY_CREATE, API_KEY_ROTATE, new_key
    from tests.licenses.support import issue, new_license

    secrets: dict[str, str] = {}
    with caplog.at_level(logging.DEBUG):
        master = await Mutation("masterKeyCreate", "key").ok(
            gql, {"name": "dumped"}, token=world.master
        )
        secrets["master key"] = master["key"]
        login = await gql.ok(
            "mutation($e: String!, $p: String!) { sessionCreate(input: {email: $e, password: $p})"
            " { token userErrors { code } } }",
            {"e": world.owner.email, "p": DEFAULT_PASSWORD},
        )
        secrets["session token"] = login["sessionCreate"]["token"]
        impersonation = await USER_IMPERSONATE.ok(
            gql, {"userId": uid(world.member), "readOnly": True}, token=world.master
        )
        secrets["impersonation token"] = impersonation["token"]
        key = await API_KEY_CREATE.ok(gql, new_key(world), token=world.owner_token)
        secrets["API key"] = key["secret"]
        rotated = await API_KEY_ROTATE.ok(
            gql, {"apiKeyId": key["apiKey"]["id"], "gracePeriodSeconds": 0}, token=world.master
        )
        secrets["rotated API key"] = rotated["secret"]
        endpoint = await Mutation("webhookEndpointCreate", "endpoint { id } secret").ok(
            gql,
            {
                "customerId": gid("cus", world.own),
                "url": "https://93.184.215.14/hooks",
                "eventTypes": ["member.added"],
            },
            token=world.owner_token,
        )
        secrets["webhook secret"] = endpoint["secret"]
        again = await Mutation("webhookEndpointRotateSecret", "secret").ok(
            gql, {"endpointId": endpoint["endpoint"]["id"]}, token=world.owner_token
        )
        secrets["rotated webhook secret"] = again["secret"]
        reset = await Mutation("userPasswordReset", "resetUrl").ok(
            gql, {"userId": uid(world.admin)}, token=world.master
        )
        secrets["reset token"] = reset["resetUrl"].rsplit("token=", 1)[1]
        invite = await Mutation("invitationCreate", "acceptUrl").ok(
            gql,
            {"customerId": gid("cus", world.own), "email": "new@own.test", "role": "MEMBER"},
            token=world.owner_token,
        )
        secrets["invitation token"] = invite["acceptUrl"].rsplit("token=", 1)[1]
        _, license_key = await issue(gql, world.master, new_license(world))
        secrets["issued license key"] = license_key
        # Each secret works, then is sent back the ways callers send it.
        assert (await gql("{ me { scope } }", token=secrets["session token"])).status == 200
        verified = await client.post(
            "/v1/keys/verify",
            json={"key": secrets["rotated API key"]},
            headers={"Authorization": f"Bearer {secrets['master key']}"},
        )
        assert verified.json()["code"] == "VALID", verified.text
        validated = await client.post("/v1/licenses/validate", json={"key": license_key})
        assert validated.status_code == 200, validated.text
        async with mail.smtp_server() as inbox:
            await mail.dispatcher(db, settings, inbox.port).step()
        assert any(secrets["invitation token"] in mail.Inbox.text(m) for m in inbox.messages)

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from app.licenses.signing import private_key_of

    [signing] = await rows(db, sa.select(metadata.tables["signing_keys"]))
    private = private_key_of(signing, settings.resolved_secret_key())
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    secrets["license signing key"] = raw.hex()

    dump = await _database_dump(settings)
    assert "own-co" in dump  # the dump does hold the data: the rows, and the hashes kept
    for kind in ("master key", "session token", "API key", "reset token", "invitation token"):
        assert token_hash(secrets[kind]) in dump, kind
    # Every record but those of the test's own SMTP receiver (aiosmtpd logs what it receives).
    kept = [record for record in caplog.records if record.name != "mail.log"]
    logged = "".join(f"{record.getMessage()} {record.__dict__!r}" for record in kept)
    assert "app.access" in {record.name for record in kept}
    for kind, secret in secrets.items():
        for form in _forms(secret):
            assert form not in dump, f"{kind} in the database dump"
            assert form not in logged, f"{kind} in the logs"
    print(f"secrets checked: {len(secrets)} kinds, dump of {len(dump)} characters")
