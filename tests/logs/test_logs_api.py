"""`logs` (filters, keyset pages, masters only), `logTest` and `logsPrune` (success, codes,
dry run, replay, permissions), and the retention loop."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from app.db import Database
from app.kit import clock
from app.logs.pipeline import LogPipeline
from app.logs.repository import LOGS
from app.main import declared_loops
from app.models.audit import AuditEvent
from app.settings import Settings
from tests.helpers import Factory, GraphQL, Mutation, StatementCounter, World
from tests.logs.support import add_entry, stored
from tests.ops.support import put_direct

LOGS_QUERY = """
query($first: Int, $after: String, $filter: LogFilter) {
  logs(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id level message requestId operationName createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LOG_TEST = Mutation("logTest", "entry { id level message logger data }")
PRUNE = Mutation("logsPrune", "deleted")
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def _some_entries(db: Database) -> None:
    await add_entry(db, T0, "INFO", message="GET /graphql 200", request_id="r1")
    await add_entry(
        db, T0 + timedelta(minutes=1), "WARNING", message="Slow Query", operation_name="Users"
    )
    await add_entry(db, T0 + timedelta(minutes=2), "ERROR", message="boom", request_id="r2")
    await add_entry(db, T0 + timedelta(minutes=3), "CRITICAL", message="down")


async def _messages(gql: GraphQL, token: str, **filter: object) -> list[str]:
    data = await gql.ok(LOGS_QUERY, {"filter": filter}, token=token)
    return [edge["node"]["message"] for edge in data["logs"]["edges"]]


async def test_filters(gql: GraphQL, world: World, db: Database) -> None:
    await _some_entries(db)
    master = world.master
    assert await _messages(gql, master) == ["down", "boom", "Slow Query", "GET /graphql 200"]
    assert await _messages(gql, master, level="ERROR") == ["down", "boom"]
    assert await _messages(gql, master, level="WARNING") == ["down", "boom", "Slow Query"]
    window = {
        "from": (T0 + timedelta(minutes=1)).isoformat(),
        "to": (T0 + timedelta(minutes=3)).isoformat(),
    }
    assert await _messages(gql, master, **window) == ["boom", "Slow Query"]
    assert await _messages(gql, master, search="slow q") == ["Slow Query"]
    assert await _messages(gql, master, search="100%") == []  # LIKE wildcards are literal
    assert await _messages(gql, master, requestId="r2") == ["boom"]
    assert await _messages(gql, master, operationName="Users") == ["Slow Query"]


async def test_keyset_pages_with_a_constant_statement_count(
    gql: GraphQL, world: World, db: Database, statements: StatementCounter
) -> None:
    for minute in range(5):
        await add_entry(db, T0 + timedelta(minutes=minute), message=f"line {minute}")
    await gql.ok("{ me { scope } }", token=world.master)  # the key's first use is recorded
    seen: list[str] = []
    after = None
    counts = []
    while True:
        with statements.measure():
            page = (await gql.ok(LOGS_QUERY, {"first": 2, "after": after}, token=world.master))[
                "logs"
            ]
        counts.append(statements.count)
        seen += [edge["node"]["message"] for edge in page["edges"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"line {minute}" for minute in (4, 3, 2, 1, 0)]
    assert len(set(counts)) == 1


async def test_bad_arguments_are_refused(gql: GraphQL, world: World) -> None:
    too_long = await gql(LOGS_QUERY, {"filter": {"search": "x" * 101}}, token=world.master)
    assert too_long.codes == ["BAD_USER_INPUT"]
    big_page = await gql(LOGS_QUERY, {"first": 201}, token=world.master)
    assert big_page.codes == ["BAD_USER_INPUT"]
    forged = await gql(LOGS_QUERY, {"after": "bm90IGEgY3Vyc29y"}, token=world.master)
    assert forged.codes == ["INVALID_CURSOR"]


async def test_logs_are_for_masters_only(gql: GraphQL, world: World, db: Database) -> None:
    await _some_entries(db)
    for token in (world.owner_token, world.admin_token):
        refused = await gql(LOGS_QUERY, token=token)
        assert refused.codes == ["FORBIDDEN"]
        assert refused.data == {"logs": None}
    staff = await gql.ok(LOGS_QUERY, token=world.staff_token)
    assert staff["logs"]["totalCount"] == 4
    anonymous = await gql(LOGS_QUERY)
    assert anonymous.status == 401


# ---------------------------------------------------------------- logTest


async def test_log_test_stores_one_entry_and_writes_it_on_stdout(
    gql: GraphQL,
    world: World,
    db: Database,
    pipeline: LogPipeline,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = await LOG_TEST.ok(
        gql, {"level": "WARNING", "message": "checking the pipeline"}, token=world.master
    )
    entry = payload["entry"]
    assert entry["id"].startswith("log_")
    assert (entry["level"], entry["message"], entry["logger"]) == (
        "WARNING",
        "checking the pipeline",
        "app.logs.test",
    )
    assert entry["data"]["source"] == "logTest"
    [line] = [r for r in caplog.records if r.name == "app.logs.test"]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == "checking the pipeline"
    assert line.__dict__["log_id"] == entry["id"]
    # Stored once, though the pipeline also saw the stdout copy.
    await pipeline.flush()
    assert len(await stored(db, LOGS.c.message == "checking the pipeline")) == 1
    found = await _messages(gql, world.master, search="checking")
    assert found == ["checking the pipeline"]


async def test_log_test_refusals_write_nothing(
    gql: GraphQL, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert await LOG_TEST.refused(gql, {"message": "  "}, token=world.master) == [
            ("REQUIRED", ["input", "message"])
        ]
        assert await LOG_TEST.refused(gql, {"message": "x" * 1001}, token=world.master) == [
            ("TOO_LONG", ["input", "message"])
        ]
    assert await stored(db) == []
    assert not [r for r in caplog.records if r.name == "app.logs.test"]


async def test_log_test_dry_run_and_replay(
    gql: GraphQL, world: World, db: Database, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        dry = await LOG_TEST.ok(gql, {"message": "rehearsal"}, token=world.master, dry_run=True)
        assert dry["entry"]["message"] == "rehearsal"
        assert await stored(db) == []
        assert not [r for r in caplog.records if r.name == "app.logs.test"]

        first = await LOG_TEST.ok(gql, {"message": "once"}, token=world.master, key="k-1")
        again = await LOG_TEST.send(gql, {"message": "once"}, token=world.master, key="k-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.data["logTest"]["entry"]["id"] == first["entry"]["id"]
    assert len(await stored(db)) == 1
    assert len([r for r in caplog.records if r.name == "app.logs.test"]) == 1
    assert await factory.count(AuditEvent, AuditEvent.action == "log.test") == 1


async def test_log_test_is_for_masters(gql: GraphQL, world: World, db: Database) -> None:
    for token in (world.owner_token, world.read_only_token):
        response = await LOG_TEST.send(gql, {"message": "hi"}, token=token)
        assert response.data == {"logTest": None}
        assert response.codes[0] in ("FORBIDDEN", "READ_ONLY_SESSION")
    assert await stored(db) == []


# ---------------------------------------------------------------- logsPrune


async def _aged_entries(db: Database) -> None:
    now = clock.now()
    for days in (1, 10, 40, 41):
        await add_entry(db, now - timedelta(days=days), message=f"{days} days old")


async def test_prune_deletes_what_is_older_than_the_retention(
    gql: GraphQL, world: World, db: Database, factory: Factory
) -> None:
    await _aged_entries(db)
    dry = await PRUNE.ok(gql, {"retentionDays": 30}, token=world.master, dry_run=True)
    assert dry["deleted"] == 2
    assert len(await stored(db)) == 4
    done = await PRUNE.ok(gql, {"retentionDays": 30}, token=world.master)
    assert done["deleted"] == 2
    assert [row.message for row in await stored(db)] == ["10 days old", "1 days old"]
    assert await factory.count(AuditEvent, AuditEvent.action == "logs.prune") == 1
    again = await PRUNE.ok(gql, {"retentionDays": 5}, token=world.master, key="p")
    replayed = await PRUNE.ok(gql, {"retentionDays": 5}, token=world.master, key="p")
    assert again["deleted"] == replayed["deleted"] == 1


async def test_prune_keeps_at_least_a_day(gql: GraphQL, world: World, db: Database) -> None:
    await _aged_entries(db)
    for days in (0, -3, 36_501):
        assert await PRUNE.refused(gql, {"retentionDays": days}, token=world.master) == [
            ("INVALID", ["input", "retentionDays"])
        ]
    assert len(await stored(db)) == 4


async def test_prune_is_for_masters(gql: GraphQL, world: World, db: Database) -> None:
    await _aged_entries(db)
    response = await PRUNE.send(gql, {"retentionDays": 1}, token=world.admin_token)
    assert response.codes == ["FORBIDDEN"]
    assert len(await stored(db)) == 4


async def test_the_retention_loop_prunes_by_the_setting(db: Database, settings: Settings) -> None:
    await _aged_entries(db)
    [retention] = [loop for loop in declared_loops(db, settings) if loop.name == "log-retention"]
    await retention.step()  # ADMIRAL_LOG_RETENTION_DAYS: 30
    assert [row.message for row in await stored(db)] == ["10 days old", "1 days old"]
    shorter = settings.model_copy(update={"log_retention_days": 5})
    [retention] = [loop for loop in declared_loops(db, shorter) if loop.name == "log-retention"]
    await retention.step()
    assert [row.message for row in await stored(db)] == ["1 days old"]


async def test_the_retention_loop_obeys_the_runtime_setting(
    db: Database, settings: Settings
) -> None:
    await _aged_entries(db)
    await put_direct(db, settings, "logRetentionDays", 5)
    [retention] = [loop for loop in declared_loops(db, settings) if loop.name == "log-retention"]
    await retention.step()  # the environment says 30; the runtime setting wins
    assert [row.message for row in await stored(db)] == ["1 days old"]
