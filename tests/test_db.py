"""When the database cannot serve: HTTP 503 with SERVICE_UNAVAILABLE, quickly, never a hang."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from app.db import Database
from app.main import create_app
from app.settings import Settings
from tests.conftest import BACKEND, make_settings
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, gid
from tests.users.support import SESSION_CREATE

UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"
QUICKLY = 5.0  # seconds; the point is "answers", not "hangs until a proxy gives up"

AppAt = Callable[..., AbstractAsyncContextManager[tuple[Starlette, GraphQL]]]


@pytest.fixture
def app_at(settings: Settings, tmp_path: Path) -> AppAt:
    @asynccontextmanager
    async def open_app(**overrides: Any) -> AsyncIterator[tuple[Starlette, GraphQL]]:
        url = overrides.pop("database_url", settings.database_url)
        application: Starlette = create_app(make_settings(url, tmp_path / "secret", **overrides))
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield application, GraphQL(client)
        finally:
            await application.state.db.dispose()

    return open_app


def assert_unavailable(response: Any, elapsed: float) -> None:
    assert response.status == 503, response.body
    assert response.codes == ["SERVICE_UNAVAILABLE"]
    assert response.headers["content-type"].startswith("application/json")
    assert elapsed < QUICKLY


async def test_unreachable_database_answers_503(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.2) as (_, gql):
        started = time.perf_counter()
        response = await gql("{ me { scope } }", token="admk_" + "x" * 40)
        assert_unavailable(response, time.perf_counter() - started)


async def test_unreachable_database_answers_503_to_a_login(app_at: AppAt) -> None:
    async with app_at(database_url=UNREACHABLE_POSTGRES, database_pool_timeout=0.2) as (_, gql):
        started = time.perf_counter()
        response = await SESSION_CREATE.send(gql, {"email": "a@b.test", "password": "x"})
        assert_unavailable(response, time.perf_counter() - started)


@pytest.mark.skipif(BACKEND != "postgresql", reason="pool exhaustion needs PostgreSQL's pool")
async def test_exhausted_pool_answers_503_then_recovers(app_at: AppAt, factory: Factory) -> None:
    await factory.user("ada@example.com")
    master = await factory.master_key("pool")
    # Without the principal cache, so the request needs a connection to authenticate.
    async with app_at(database_pool_size=1, database_pool_timeout=0.2, auth_cache_seconds=0) as (
        application,
        gql,
    ):
        await gql.ok("{ me { scope } }", token=master)
        db: Database = application.state.db
        # pool_size=1 plus the same overflow: two connections in all per pool (the writer's
        # and the readers'), all held here.
        async with (
            db.write_engine.connect() as first,
            db.write_engine.connect() as second,
            db.read_engine.connect(),
            db.read_engine.connect(),
        ):
            assert first is not second
            started = time.perf_counter()
            response = await gql("{ me { scope } }", token=master)
            assert_unavailable(response, time.perf_counter() - started)
            started = time.perf_counter()
            login = await SESSION_CREATE.send(
                gql, {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
            )
            assert_unavailable(login, time.perf_counter() - started)
        # Connections are back: the same app answers again.
        assert await gql.ok("{ me { scope } }", token=master) == {"me": {"scope": "MASTER"}}


# ---------------------------------------------------------------- a connection dying mid-request

READ = """{
  users(first: 10) { totalCount edges { node { id email memberships { role customer { slug } } } } }
}"""


class TerminateAt:
    """Terminates the backend that ran the `at`-th statement, right after it ran.

    The statement's rows are already with the client then, so a termination at the last
    statement of a request lands after the answer was read: only cleanup meets the dead link.
    """

    def __init__(self, db: Database, at: int) -> None:
        self.db, self.at, self.seen, self.killed = db, at, 0, False

    def __call__(self, connection: Any, *_: Any) -> None:
        if self.killed:
            return
        self.seen += 1
        if self.seen != self.at:
            return
        self.killed = True
        pid = connection.connection.driver_connection.get_server_pid()
        # This hook runs inside SQLAlchemy's greenlet, so a blocking-style call is fine here.
        with self.db.write_engine.sync_engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)}, 5000)")


async def terminated_rounds(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any], token: str, app: Starlette
) -> list[httpx.Response]:
    """The request sent once per statement it runs, its backend terminated at that statement.

    Every answer is a complete 200 (no errors) or a 503 JSON body with SERVICE_UNAVAILABLE.
    Run the ordinary way and without the principal cache: a request of several statements.
    """
    read_path, principals = app.state.read_path, app.state.principals
    enabled = (read_path.enabled, principals.enabled)
    read_path.enabled = principals.enabled = False
    try:
        return await _terminated_rounds(client, db, body, token)
    finally:
        read_path.enabled, principals.enabled = enabled


async def _terminated_rounds(
    client: httpx.AsyncClient, db: Database, body: dict[str, Any], token: str
) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    # Reads and writes have pools of their own: statements are counted on both.
    engines = list({db.read_engine.sync_engine, db.write_engine.sync_engine})
    # A first request settles what it touches (the key's last use), so each round runs the same
    # statements as the counted one.
    await client.post("/graphql", json=body, headers=headers)
    counter = TerminateAt(db, at=0)
    for engine in engines:
        sa.event.listen(engine, "after_cursor_execute", counter)
    try:
        counted = await client.post("/graphql", json=body, headers=headers)
    finally:
        for engine in engines:
            sa.event.remove(engine, "after_cursor_execute", counter)
    assert counted.status_code == 200, counted.text
    assert counter.seen >= 4
    checked_out = db.read_engine.pool.checkedout()  # type: ignore[attr-defined]

    answers = []
    for at in range(1, counter.seen + 1):
        terminate = TerminateAt(db, at)
        for engine in engines:
            sa.event.listen(engine, "after_cursor_execute", terminate)
        try:
            response = await client.post("/graphql", json=body, headers=headers)
        finally:
            for engine in engines:
                sa.event.remove(engine, "after_cursor_execute", terminate)
        assert terminate.killed
        assert response.headers["content-type"].startswith("application/json"), response.text
        errors = response.json().get("errors") or []
        if response.status_code == 200:
            assert errors == [], f"round {at}: {errors}"
        else:
            assert response.status_code == 503, f"round {at}: {response.text}"
            assert {e["extensions"]["code"] for e in errors} == {"SERVICE_UNAVAILABLE"}
        answers.append(response)
    # Every dead connection left the pool.
    assert db.read_engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]
    return answers


@pytest.mark.postgres_only
async def test_a_read_whose_connection_is_terminated_answers_200_or_503_never_500(
    client: httpx.AsyncClient, factory: Factory, db: Database, app: Starlette
) -> None:
    master = await factory.master_key("terminate")
    owner = await factory.user("owner@example.com")
    customer = await factory.customer("acme")
    await factory.member(customer, owner)
    body = {"query": READ}
    complete = await client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {master}"}
    )

    answers = await terminated_rounds(client, db, body, master, app)

    for answer in answers:
        if answer.status_code == 200:
            assert answer.json() == complete.json()
    # Killed at its last statement, the request had its answer: cleanup must not spoil it.
    assert answers[-1].status_code == 200
    assert 503 in {a.status_code for a in answers}
    again = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {master}"})
    assert again.json() == complete.json()


@pytest.mark.postgres_only
async def test_a_mutation_whose_read_connection_dies_keeps_its_committed_answer(
    client: httpx.AsyncClient, factory: Factory, db: Database, app: Starlette
) -> None:
    master = await factory.master_key("terminate")
    customer = await factory.customer("acme")
    body = {
        "query": "mutation($c: ID!) { customerNoteCreate(input: {customerId: $c, body: "
        '"hi"}) { customerNote { id body } userErrors { code } } }',
        "variables": {"c": gid("cus", customer)},
    }

    answers = await terminated_rounds(client, db, body, master, app)

    # Round 1 kills the read connection that authenticated the key, before the mutation ran:
    # the note is committed, and closing the dead reader must not turn that into an error.
    first = answers[0].json()
    assert answers[0].status_code == 200
    assert first["data"]["customerNoteCreate"]["customerNote"]["body"] == "hi"
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["data"]["customerNoteCreate"]["userErrors"] == []
