"""W1 on the compiled path is one SQL statement once the caller's principal is cached, and the
cache never outlives a revocation or a change of role."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.db import Database
from app.models import MemberRole
from app.models.tables import MEMBERSHIPS
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
