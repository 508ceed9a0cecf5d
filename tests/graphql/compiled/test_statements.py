"""W1 on the compiled path is one SQL statement once the caller's principal is cached, and the
cache never outlives a revocation or a change of role."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.auth.cache import PrincipalCache
from app.auth.principal import master_key_principal
from app.db import Database
from app.kit import clock
from app.models import MemberRole
from app.models.tables import MASTER_KEYS, MEMBERSHIPS
from tests.graphql.compiled.conftest import Both, Callers
from tests.graphql.compiled.test_differential import W1
from tests.helpers import Factory, GraphQL, Mutation

pytestmark = pytest.mark.usefixtures("principal_cache")

REVOKE_SESSION = Mutation("sessionRevoke", "session { id revokedAt }", user_errors="field code")
CREATE_KEY = Mutation("masterKeyCreate", "key masterKey { id }", user_errors="field code")
REVOKE_KEY = Mutation("masterKeyRevoke", "masterKey { id revokedAt }", user_errors="field code")


async def _statements(gql: GraphQL, db: Database, token: str) -> int:
    """Statements one W1 request sends, leaving out SQLite's explicit BEGIN (PostgreSQL's
    driver opens its transactions without a statement of its own)."""
    sent: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engines = {db.read_engine.sync_engine, db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        response = await gql(W1, token=token)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert response.status == 200
    assert response.data["users"]["totalCount"] > 0
    return len([statement for statement in sent if not statement.startswith("BEGIN")])


async def test_w1_compiled_is_one_statement_beside_authentication(
    gql: GraphQL, both: Both, callers: Callers, db: Database, factory: Factory
) -> None:
    for _ in range(3):
        await factory.user()
    # (An impersonated request also writes its audit event: not counted here.)
    for caller in ("master", "staff", "owner", "admin"):
        token = callers.tokens[caller]
        first = await _statements(gql, db, token)
        # The first request authenticated (and may have recorded the credential's use).
        await _statements(gql, db, token)
        assert await _statements(gql, db, token) == 1, caller
        # Its statement is compiled once for the shape and then sent as it is.
        assert both.read_path.prepared, caller
        assert first > 1
        both.read_path.enabled = False
        try:
            assert await _statements(gql, db, token) > 1
        finally:
            both.read_path.enabled = True


async def test_a_revoked_session_fails_on_its_next_request(gql: GraphQL, callers: Callers) -> None:
    token = callers.tokens["owner"]
    for _ in range(2):
        await gql.ok("{ me { scope } }", token=token)
    await REVOKE_SESSION.ok(gql, {}, token=token)
    refused = await gql("{ me { scope } }", token=token)
    assert refused.status == 401
    assert refused.codes == ["UNAUTHENTICATED"]


async def test_a_revoked_master_key_fails_on_its_next_request(
    gql: GraphQL, callers: Callers
) -> None:
    created = await CREATE_KEY.ok(gql, {"name": "short-lived"}, token=callers.tokens["master"])
    token = created["key"]
    for _ in range(2):
        assert (await gql(W1, token=token)).data["users"]["totalCount"] > 0
    await REVOKE_KEY.ok(
        gql, {"masterKeyId": created["masterKey"]["id"]}, token=callers.tokens["master"]
    )
    refused = await gql(W1, token=token)
    assert refused.status == 401
    assert refused.codes == ["UNAUTHENTICATED"]
    # Another key, cached before the revocation, still works.
    assert (await gql.ok(W1, token=callers.tokens["master"]))["users"]["totalCount"] > 0


async def test_a_role_change_narrows_the_scope_on_the_next_request(
    gql: GraphQL, callers: Callers, db: Database
) -> None:
    token = callers.tokens["admin"]
    for _ in range(2):
        seen = (await gql(W1, token=token)).data["users"]["totalCount"]
    assert seen > 0
    async with db.write_session() as session:
        await session.execute(
            sa.update(MEMBERSHIPS)
            .where(MEMBERSHIPS.c.user_id == callers.world.admin.id)
            .values(role=MemberRole.MEMBER)
        )
        await session.commit()
    assert (await gql(W1, token=token)).data["users"]["totalCount"] == 0


async def test_recording_a_credentials_use_keeps_cached_principals(db: Database) -> None:
    """Only a change that can alter an authentication's outcome drops the cached principals."""
    now = clock.now()
    touch = sa.update(MASTER_KEYS).where(MASTER_KEYS.c.id.is_not(None))
    before = db.auth_generation.value
    async with db.write_session() as session:
        await session.execute(touch.values(last_used_at=now))
        await session.commit()
    assert db.auth_generation.value == before
    async with db.write_session() as session:
        await session.execute(touch.values(last_used_at=now, name=MASTER_KEYS.c.name))
        await session.commit()
    assert db.auth_generation.value > before


def test_one_caller_reads_an_entry_again_before_it_runs_out(db: Database) -> None:
    cache = PrincipalCache(db, 10)
    principal = master_key_principal(uuid.uuid4())
    start = clock.now()
    with clock.pinned(start):
        cache.put("token", principal, cache.generation())
    with clock.pinned(start + timedelta(seconds=7)):
        assert cache.get("token") is principal
    with clock.pinned(start + timedelta(seconds=8.5)):
        # The first caller in the last fifth looks it up again; the others keep the entry.
        assert cache.get("token") is None
        assert cache.get("token") is principal
    with clock.pinned(start + timedelta(seconds=10)):
        assert cache.get("token") is None
    with clock.pinned(start + timedelta(seconds=9)):
        cache.put("token", principal, cache.generation())
    with clock.pinned(start + timedelta(seconds=16)):
        assert cache.get("token") is principal
