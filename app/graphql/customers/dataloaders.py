"""Loaders of the customers domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from app.customers.repository import CUSTOMER_MODEL, MEMBERSHIP_MODEL
from app.graphql.customers.types import Customer, Membership
from app.graphql.dataloaders import (
    CountByKeyLoader,
    FirstPageByKeyLoader,
    ManyByKeyLoader,
    OneByKeyLoader,
)


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
