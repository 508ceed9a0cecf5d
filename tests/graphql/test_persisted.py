"""Persisted documents: accepted by hash, unknown hashes refused with a code, and the setting
that lets session callers send only those while a master may still send any document."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.graphql.persisted import sha256_hex
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.helpers import GraphQL, World, gid

ME = "query Me { me { scope customers { slug } } }"
CUSTOMER = "query Customer($id: ID!) { customer(id: $id) { slug } }"
RENAME = (
    "mutation Rename($input: CustomerUpdateInput!, $dryRun: Boolean!) { "
    "customerUpdate(input: $input, dryRun: $dryRun) { customer { name } userErrors { code } } }"
)
SIGN_IN = (
    "mutation SignIn($input: SessionCreateInput!) { sessionCreate(input: $input) "
    "{ token userErrors { code } } }"
)

AppWith = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def by_hash(text: str, **fields: Any) -> dict[str, Any]:
    return {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(text)}},
        **fields,
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-documents.json"
    documents = [ME, CUSTOMER, RENAME, SIGN_IN]
    path.write_text(json.dumps({f"sha256:{sha256_hex(text)}": text for text in documents}))
    return path


@pytest.fixture
def app_with(settings: Settings, tmp_path: Path, manifest: Path) -> AppWith:
    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        overrides.setdefault("persisted_queries_file", str(manifest))
        application: Starlette = create_app(
            make_settings(settings.database_url, tmp_path / "secret", **overrides)
        )
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client
        finally:
            await application.state.db.dispose()

    return open_app


async def test_a_known_hash_runs_its_document(app_with: AppWith, world: World) -> None:
    async with app_with() as client:
        response = await client.post(
            "/graphql", json=by_hash(ME), headers=bearer(world.owner_token)
        )
    assert response.status_code == 200
    assert response.json() == {
        "data": {"me": {"scope": "SESSION", "customers": [{"slug": "own-co"}]}}
    }


async def test_the_manifest_key_may_carry_the_algorithm(app_with: AppWith, world: World) -> None:
    body = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": f"sha256:{sha256_hex(ME)}"}}
    }
    async with app_with() as client:
        response = await client.post("/graphql", json=body, headers=bearer(world.master))
    assert response.json()["data"]["me"]["scope"] == "MASTER"


async def test_a_persisted_mutation_takes_variables_and_keeps_the_scope(
    app_with: AppWith, world: World
) -> None:
    own = {"input": {"customerId": gid("cus", world.own), "name": "Renamed"}, "dryRun": True}
    other = {"input": {"customerId": gid("cus", world.other), "name": "Renamed"}, "dryRun": True}
    async with app_with(persisted_queries_only_for_sessions=True) as client:
        allowed = await client.post(
            "/graphql", json=by_hash(RENAME, variables=own), headers=bearer(world.owner_token)
        )
        refused = await client.post(
            "/graphql", json=by_hash(RENAME, variables=other), headers=bearer(world.owner_token)
        )
    assert allowed.json()["data"]["customerUpdate"] == {
        "customer": {"name": "Renamed"},
        "userErrors": [],
    }
    assert refused.json()["data"]["customerUpdate"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_an_unknown_hash_is_refused_with_a_code(app_with: AppWith, world: World) -> None:
    async with app_with() as client:
        response = await client.post(
            "/graphql", json=by_hash("query Other { me { scope } }"), headers=bearer(world.master)
        )
    assert response.status_code == 400
    assert code_of(response) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_is_never_learned_from_a_request(app_with: AppWith, world: World) -> None:
    text = "query Other { me { scope } }"
    async with app_with(persisted_queries_only_for_sessions=True) as client:
        sent = await client.post(
            "/graphql", json=by_hash(text, query=text), headers=bearer(world.owner_token)
        )
        again = await client.post("/graphql", json=by_hash(text), headers=bearer(world.owner_token))
    assert code_of(sent) == "PERSISTED_QUERY_NOT_FOUND"
    assert code_of(again) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_query_that_is_not_the_hashed_document_is_refused(
    app_with: AppWith, world: World
) -> None:
    body = by_hash(ME, query="query Me { me { scope readOnly } }")
    async with app_with() as client:
        response = await client.post("/graphql", json=body, headers=bearer(world.master))
    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


async def test_a_hash_that_is_not_a_string_is_a_bad_request(
    app_with: AppWith, world: World
) -> None:
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": 42}}}
    async with app_with() as client:
        response = await client.post("/graphql", json=body, headers=bearer(world.master))
    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"


async def test_ad_hoc_documents_are_accepted_by_default(app_with: AppWith, world: World) -> None:
    async with app_with() as client:
        response = await client.post(
            "/graphql", json={"query": "{ me { scope } }"}, headers=bearer(world.owner_token)
        )
    assert response.json() == {"data": {"me": {"scope": "SESSION"}}}


async def test_the_setting_refuses_an_ad_hoc_document_from_a_session(
    app_with: AppWith, world: World
) -> None:
    async with app_with(persisted_queries_only_for_sessions=True) as client:
        posted = await client.post(
            "/graphql", json={"query": "{ me { scope } }"}, headers=bearer(world.owner_token)
        )
        # The manifest's own text, sent as text, is still an ad-hoc request.
        as_text = await client.post(
            "/graphql", json={"query": ME}, headers=bearer(world.owner_token)
        )
        impersonating = await client.post(
            "/graphql", json={"query": "{ me { scope } }"}, headers=bearer(world.read_only_token)
        )
        by_get = await client.get(
            "/graphql", params={"query": "{ me { scope } }"}, headers=bearer(world.owner_token)
        )
    for response in (posted, as_text, impersonating, by_get):
        assert response.status_code == 400
        assert code_of(response) == "PERSISTED_QUERY_REQUIRED"


async def test_the_setting_refuses_ad_hoc_documents_without_credentials(
    app_with: AppWith, world: World
) -> None:
    variables = {"input": {"email": "owner@own.test", "password": "wrong-password-1"}}
    async with app_with(persisted_queries_only_for_sessions=True) as client:
        ad_hoc = await client.post("/graphql", json={"query": SIGN_IN, "variables": variables})
        persisted = await client.post("/graphql", json=by_hash(SIGN_IN, variables=variables))
    assert code_of(ad_hoc) == "PERSISTED_QUERY_REQUIRED"
    assert persisted.json()["data"]["sessionCreate"]["userErrors"] == [
        {"code": "INVALID_CREDENTIALS"}
    ]


async def test_a_master_may_still_send_any_document(app_with: AppWith, world: World) -> None:
    async with app_with(persisted_queries_only_for_sessions=True) as client:
        posted = await client.post(
            "/graphql", json={"query": "{ me { scope } }"}, headers=bearer(world.master)
        )
        staff = await client.post(
            "/graphql", json={"query": "{ me { scope } }"}, headers=bearer(world.staff_token)
        )
        by_get = await client.get(
            "/graphql", params={"query": "{ me { scope } }"}, headers=bearer(world.master)
        )
    for response in (posted, staff, by_get):
        assert response.status_code == 200
        assert response.json() == {"data": {"me": {"scope": "MASTER"}}}


async def test_an_impersonated_request_by_hash_is_audited_like_one_sent_as_text(
    app_with: AppWith, world: World, gql: GraphQL
) -> None:
    async with app_with() as client:
        response = await client.post(
            "/graphql", json=by_hash(ME, operationName="Me"), headers=bearer(world.read_only_token)
        )
    assert response.status_code == 200
    events = await gql.ok(
        '{ auditEvents(filter: {action: "impersonation.request"}) { nodes { diff } } }',
        token=world.master,
    )
    [event] = events["auditEvents"]["nodes"]
    after = {name: change["after"] for name, change in event["diff"].items()}
    assert after["operationName"] == "Me"
    assert after["operationType"] == "query"
    assert after["rootFields"] == ["me"]
    assert "query Me" not in json.dumps(event["diff"])  # a summary, never the document


def test_a_manifest_whose_key_is_not_its_hash_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({f"sha256:{sha256_hex(ME)}": CUSTOMER}))
    with pytest.raises(ValueError, match="not the sha256"):
        create_app(
            make_settings(settings.database_url, tmp_path / "s", persisted_queries_file=str(path))
        )


def test_a_configured_manifest_must_exist(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        create_app(
            make_settings(
                settings.database_url, tmp_path / "s", persisted_queries_file=str(tmp_path / "none")
            )
        )
