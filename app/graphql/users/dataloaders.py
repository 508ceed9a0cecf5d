"""Loaders of the users domain."""

from __future__ import annotations

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
