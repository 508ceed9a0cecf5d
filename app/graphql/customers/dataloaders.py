"""Loaders of the customers domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from app.customers.repository import (
    CUSTOMER_MODEL,
    CUSTOMER_NOTE_MODEL,
    INVITATION_MODEL,
    MEMBERSHIP_MODEL,
    PROJECT_MODEL,
)
from app.graphql.customers.types import Customer, CustomerNote, Invitation, Membership, Project
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


class InvitationsFirstPageByCustomerIdLoader(FirstPageByKeyLoader):
    model = INVITATION_MODEL
    column = "customer_id"


class InvitationsCountByCustomerIdLoader(CountByKeyLoader):
    model = INVITATION_MODEL
    column = "customer_id"


class ProjectsFirstPageByCustomerIdLoader(FirstPageByKeyLoader):
    model = PROJECT_MODEL
    column = "customer_id"


class ProjectsCountByCustomerIdLoader(CountByKeyLoader):
    model = PROJECT_MODEL
    column = "customer_id"
