"""Loaders of the customers domain."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from aiodataloader import DataLoader
from sqlalchemy.engine import Row

from app.customers.repository import (
    CUSTOMER_MODEL,
    CUSTOMER_NOTE_MODEL,
    INVITATION_MODEL,
    MEMBERSHIP_MODEL,
    PROJECT_MODEL,
)
from app.db import Reader
from app.graphql.customers.types import Customer, CustomerNote, Invitation, Membership, Project
from app.graphql.dataloaders import (
    CountByKeyLoader,
    FirstPageByKeyLoader,
    ManyByKeyLoader,
    OneByKeyLoader,
)
from app.kit.readmodel import ReadModel
from app.kit.scope import RowScope


class CustomerByIdLoader(OneByKeyLoader[Customer]):
    model = CUSTOMER_MODEL

    def convert(self, row: Row[Any]) -> Customer:
        return Customer.from_row(row)


class MembershipByIdLoader(OneByKeyLoader[Membership]):
    model = MEMBERSHIP_MODEL

    def convert(self, row: Row[Any]) -> Membership:
        return Membership.from_row(row)


class MembershipsByUserIdLoader(ManyByKeyLoader[Membership]):
    model = MEMBERSHIP_MODEL
    column = "user_id"

    def convert(self, row: Row[Any]) -> Membership:
        return Membership.from_row(row)


class MembersFirstPageByCustomerIdLoader(FirstPageByKeyLoader):
    model = MEMBERSHIP_MODEL
    column = "customer_id"


class MembersCountByCustomerIdLoader(CountByKeyLoader):
    model = MEMBERSHIP_MODEL
    column = "customer_id"


class InvitationByIdLoader(OneByKeyLoader[Invitation]):
    model = INVITATION_MODEL

    def convert(self, row: Row[Any]) -> Invitation:
        return Invitation.from_row(row)


class ProjectByIdLoader(OneByKeyLoader[Project]):
    model = PROJECT_MODEL

    def convert(self, row: Row[Any]) -> Project:
        return Project.from_row(row)


class CustomerNoteByIdLoader(OneByKeyLoader[CustomerNote]):
    model = CUSTOMER_NOTE_MODEL

    def convert(self, row: Row[Any]) -> CustomerNote:
        return CustomerNote.from_row(row)


class CustomerNotesFirstPageByCustomerIdLoader(FirstPageByKeyLoader):
    model = CUSTOMER_NOTE_MODEL
    column = "customer_id"


class CustomerNotesCountByCustomerIdLoader(CountByKeyLoader):
    model = CUSTOMER_NOTE_MODEL
    column = "customer_id"


# ---------------------------------------------------------------- lists narrowed by a filter


def narrowed(model: ReadModel, filter_name: str, value: Any) -> ReadModel:
    """`model` whose scope also applies one of its filters, so the batched statements built
    from it (window pages, grouped counts) honour the filter; None leaves it unfiltered."""
    if value is None:
        return model
    condition = model.filters[filter_name](value)

    def scope(row_scope: RowScope) -> sa.ColumnElement[bool] | None:
        base = model.scope(row_scope)
        return condition if base is None else sa.and_(base, condition)

    return dataclasses.replace(model, scope=scope)


FilteredPageKey = tuple[uuid.UUID, int, Any]  # parent key, page size, filter value
FilteredCountKey = tuple[uuid.UUID, Any]  # parent key, filter value
KeyT = TypeVar("KeyT")
ResultT = TypeVar("ResultT")


class _FilteredLoader(DataLoader[KeyT, ResultT], Generic[KeyT, ResultT]):
    model: ClassVar[ReadModel]
    column: ClassVar[str]
    filter_name: ClassVar[str]

    def __init__(self, reader: Reader, scope: RowScope) -> None:
        super().__init__()
        self.reader = reader
        self.scope = scope

    def model_for(self, value: Any) -> ReadModel:
        return narrowed(self.model, self.filter_name, value)


class FilteredFirstPageByKeyLoader(_FilteredLoader[FilteredPageKey, list[Row[Any]]]):
    """First pages of each key's list under one filter: a statement per (size, value) pair."""

    async def batch_load_fn(self, keys: Sequence[FilteredPageKey]) -> list[list[Row[Any]]]:
        groups: dict[tuple[int, Any], list[uuid.UUID]] = defaultdict(list)
        for key, first, value in keys:
            groups[(first, value)].append(key)
        found: dict[FilteredPageKey, list[Row[Any]]] = defaultdict(list)
        for (first, value), ids in groups.items():
            statement = self.model_for(value).first_pages_statement(
                self.column, ids, self.scope, first
            )
            for row in await self.reader.all(statement):
                found[(row._mapping[self.column], first, value)].append(row)
        return [found.get(key, []) for key in keys]


class FilteredCountByKeyLoader(_FilteredLoader[FilteredCountKey, int]):
    """How many rows each key's list holds under one filter: a statement per value."""

    async def batch_load_fn(self, keys: Sequence[FilteredCountKey]) -> list[int]:
        groups: dict[Any, list[uuid.UUID]] = defaultdict(list)
        for key, value in keys:
            groups[value].append(key)
        counts: dict[FilteredCountKey, int] = {}
        for value, ids in groups.items():
            statement = self.model_for(value).count_by_keys_statement(self.column, ids, self.scope)
            for row in await self.reader.all(statement):
                counts[(row._mapping[self.column], value)] = int(row._mapping["count"])
        return [counts.get(key, 0) for key in keys]


class InvitationsFirstPageByCustomerIdLoader(FilteredFirstPageByKeyLoader):
    model = INVITATION_MODEL
    column = "customer_id"
    filter_name = "status"


class InvitationsCountByCustomerIdLoader(FilteredCountByKeyLoader):
    model = INVITATION_MODEL
    column = "customer_id"
    filter_name = "status"


class ProjectsFirstPageByCustomerIdLoader(FilteredFirstPageByKeyLoader):
    model = PROJECT_MODEL
    column = "customer_id"
    filter_name = "search"


class ProjectsCountByCustomerIdLoader(FilteredCountByKeyLoader):
    model = PROJECT_MODEL
    column = "customer_id"
    filter_name = "search"
