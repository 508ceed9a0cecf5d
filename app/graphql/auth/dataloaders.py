"""Loaders of the auth domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from app.auth.repository import MASTER_KEY_MODEL
from app.graphql.auth.types import MasterKey
from app.graphql.dataloaders import OneByKeyLoader


class MasterKeyByIdLoader(OneByKeyLoader[MasterKey]):
    model = MASTER_KEY_MODEL

    def convert(self, row: Row[Any]) -> MasterKey:
        return MasterKey.from_row(row)
