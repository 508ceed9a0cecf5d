"""Loaders of the users domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from app.graphql.dataloaders import CountByKeyLoader, FirstPageByKeyLoader, OneByKeyLoader
from app.graphql.users.types import User
from app.users.repository import NOTE_MODEL, USER_MODEL


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
