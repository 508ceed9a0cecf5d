"""One unit of work, one owner: `Database.run` commits; nothing else in `app/` does."""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.audit.service import AuditJournal
from app.db import Database
from app.kit.actor import Actor
from app.kit.errors import ErrorCode, UserInputError
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import MasterKey
from app.models.tables import AUDIT_EVENTS, MASTER_KEYS, OUTBOX_EVENTS
from app.settings import Settings
from tests.support import rows

APP = Path(__file__).parents[1] / "app"
ACTOR = Actor.system("test")


def test_only_the_runner_commits() -> None:
    committers = []
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                committers.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    assert len(committers) == 1, committers
    assert committers[0].startswith("app/db.py:"), committers


def _key(name: str) -> MasterKey:
    return MasterKey(name=name, prefix="admk_test", key_hash=name.ljust(64, "0"))


async def _keys(db: Database) -> list[str]:
    return [row.name for row in await rows(db, sa.select(MASTER_KEYS.c.name))]


async def _events(db: Database) -> int:
    return len(await rows(db, sa.select(AUDIT_EVENTS.c.id)))


async def test_a_run_commits_its_change_with_its_audit_event(db: Database) -> None:
    done: list[str] = []

    async def work(uow: UnitOfWork) -> str:
        uow.session.add(_key("kept"))
        uow.record("test.change", "MasterKey", None, after={"name": "kept"})
        uow.after_commit.append(lambda: _note(done, "after"))
        return "result"

    assert await db.run(work, actor=ACTOR, row_scope=EVERYTHING) == "result"
    assert await _keys(db) == ["kept"]
    assert await _events(db) == 1
    assert done == ["after"]


async def _note(done: list[str], what: str) -> None:
    done.append(what)


async def test_a_dry_run_writes_nothing_and_runs_no_hook(db: Database) -> None:
    done: list[str] = []

    async def work(uow: UnitOfWork) -> None:
        uow.session.add(_key("never"))
        uow.record("test.change", "MasterKey", None, after={"name": "never"})
        uow.before_commit.append(lambda _: _note(done, "before"))
        uow.after_commit.append(lambda: _note(done, "after"))

    await db.run(work, actor=ACTOR, row_scope=EVERYTHING, dry_run=True)
    assert await _keys(db) == []
    assert await _events(db) == 0
    assert done == []


async def test_a_business_failure_rolls_back_and_keeps_only_the_failure_work(db: Database) -> None:
    async def count_it(later: UnitOfWork) -> None:
        later.session.add(_key("failure-work"))

    async def work(uow: UnitOfWork) -> None:
        uow.session.add(_key("rolled-back"))
        uow.record("test.change", "MasterKey", None, after={"name": "x"})
        uow.on_failure.append(count_it)
        raise UserInputError("No.", ErrorCode.INVALID)

    with pytest.raises(UserInputError):
        await db.run(work, actor=ACTOR, row_scope=EVERYTHING)
    assert await _keys(db) == ["failure-work"]
    assert await _events(db) == 0


async def test_events_without_a_journal_are_refused(settings: Settings) -> None:
    bare = Database(settings)  # what `app.runtime.database` would give a journal
    try:

        async def work(uow: UnitOfWork) -> None:
            uow.record("test.change", "MasterKey", None, after={"n": 1})

        with pytest.raises(RuntimeError, match="no journal"):
            await bare.run(work, actor=ACTOR, row_scope=EVERYTHING)
    finally:
        await bare.dispose()


async def _outbox(db: Database) -> list[tuple[str, dict[str, object]]]:
    query = sa.select(OUTBOX_EVENTS.c.event_type, OUTBOX_EVENTS.c.data)
    return [(row.event_type, row.data) for row in await rows(db, query)]


async def test_published_messages_exist_exactly_when_the_work_commits(db: Database) -> None:
    def work(outcome: str) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def publish(uow: UnitOfWork) -> None:
            uow.session.add(_key(outcome))
            uow.publish("test.happened", {"outcome": outcome})
            if outcome == "failed":
                raise UserInputError("No.", ErrorCode.INVALID)

        return publish

    await db.run(work("committed"), actor=ACTOR, row_scope=EVERYTHING)
    await db.run(work("dry"), actor=ACTOR, row_scope=EVERYTHING, dry_run=True)
    with pytest.raises(UserInputError):
        await db.run(work("failed"), actor=ACTOR, row_scope=EVERYTHING)
    assert await _outbox(db) == [("test.happened", {"outcome": "committed"})]
    assert await _keys(db) == ["committed"]


async def test_messages_without_an_outbox_are_refused(settings: Settings) -> None:
    bare = Database(settings, journal=AuditJournal())
    try:

        async def work(uow: UnitOfWork) -> None:
            uow.publish("test.happened", {})

        with pytest.raises(RuntimeError, match="no outbox"):
            await bare.run(work, actor=ACTOR, row_scope=EVERYTHING)
    finally:
        await bare.dispose()
