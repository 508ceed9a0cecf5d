"""Loaders of the users domain."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Row

from app.auth.repository import SESSION_MODEL, live_session_condition
from app.graphql.auth.types import Session
from app.graphql.dataloaders import (
    CountByKeyLoader,
    FirstPageByKeyLoader,
    ManyByKeyLoader,
    OneByKeyLoader,
)
from app.graphql.users.types import User
from app.kit import clock
from app.models.tables import LOGIN_SESSIONS
from app.users.repository import FEEDBACK_MODEL, NOTE_MODEL, USER_MODEL


class UserByIdLoader(OneByKeyLoader[User]):
    model = USER_MODEL

    def convert(self, row: Row[Any]) -> User:
        return User.from_row(row)


class NotesCountByUserIdLoader(CountByKeyLoader):
    model = NOTE_MODEL
    column = "user_id"


class NotesFirstPageByUserIdLoader(FirstPageByKeyLoader):
    model = NOTE_MODEL
    column = "user_id"


class FeedbackFirstPageByUserIdLoader(FirstPageByKeyLoader):
    model = FEEDBACK_MODEL
    column = "user_id"


class FeedbackCountByUserIdLoader(CountByKeyLoader):
    model = FEEDBACK_MODEL
    column = "user_id"


class LiveSessionsByUserIdLoader(ManyByKeyLoader[Session]):
    model = SESSION_MODEL
    column = "user_id"

    def extra_conditions(self) -> list[Any]:
        return [live_session_condition(clock.now())]

    def convert(self, row: Row[Any]) -> Session:
        return Session.from_row(row)

    async def batch_load_fn(self, keys: Sequence[uuid.UUID]) -> list[list[Session]]:
        # The session read model does not select `user_id` (it is no field of `Session`), so
        # the generic loader cannot group its rows: select the key under a label of its own.
        key = LOGIN_SESSIONS.c.user_id.label("_key")
        statement = (
            self.model.by_keys_statement(self.column, keys, self.scope)
            .add_columns(key)
            .where(*self.extra_conditions())
            .order_by(self.model.pk)
        )
        grouped: dict[uuid.UUID, list[Session]] = defaultdict(list)
        for row in await self.reader.all(statement):
            grouped[row._mapping["_key"]].append(self.convert(row))
        return [grouped.get(user_id, []) for user_id in keys]
