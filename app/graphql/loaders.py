"""Every DataLoader of a request, created on first use and dropped with the request."""

from __future__ import annotations

from functools import cached_property

from app.db import Reader
from app.graphql.audit.dataloaders import (
    ActivityCountByUserIdLoader,
    ActivityFirstPageByUserIdLoader,
)
from app.graphql.auth.dataloaders import MasterKeyByIdLoader
from app.graphql.billing.dataloaders import PlanByIdLoader
from app.graphql.customers.dataloaders import (
    CustomerByIdLoader,
    CustomerNoteByIdLoader,
    CustomerNotesCountByCustomerIdLoader,
    CustomerNotesFirstPageByCustomerIdLoader,
    InvitationByIdLoader,
    InvitationsCountByCustomerIdLoader,
    InvitationsFirstPageByCustomerIdLoader,
    MembersCountByCustomerIdLoader,
    MembersFirstPageByCustomerIdLoader,
    MembershipByIdLoader,
    MembershipsByUserIdLoader,
    ProjectByIdLoader,
    ProjectsCountByCustomerIdLoader,
    ProjectsFirstPageByCustomerIdLoader,
)
from app.graphql.users.dataloaders import (
    FeedbackCountByUserIdLoader,
    FeedbackFirstPageByUserIdLoader,
    LiveSessionsByUserIdLoader,
    NotesCountByUserIdLoader,
    NotesFirstPageByUserIdLoader,
    UserByIdLoader,
)
from app.kit.scope import RowScope


class Loaders:
    def __init__(self, reader: Reader, scope: RowScope) -> None:
        self.reader = reader
        self.scope = scope

    @cached_property
    def user_by_id(self) -> UserByIdLoader:
        return UserByIdLoader(self.reader, self.scope)

    @cached_property
    def notes_count_by_user_id(self) -> NotesCountByUserIdLoader:
        return NotesCountByUserIdLoader(self.reader, self.scope)

    @cached_property
    def notes_first_page_by_user_id(self) -> NotesFirstPageByUserIdLoader:
        return NotesFirstPageByUserIdLoader(self.reader, self.scope)

    @cached_property
    def customer_by_id(self) -> CustomerByIdLoader:
        return CustomerByIdLoader(self.reader, self.scope)

    @cached_property
    def membership_by_id(self) -> MembershipByIdLoader:
        return MembershipByIdLoader(self.reader, self.scope)

    @cached_property
    def memberships_by_user_id(self) -> MembershipsByUserIdLoader:
        return MembershipsByUserIdLoader(self.reader, self.scope)

    @cached_property
    def members_first_page_by_customer_id(self) -> MembersFirstPageByCustomerIdLoader:
        return MembersFirstPageByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def members_count_by_customer_id(self) -> MembersCountByCustomerIdLoader:
        return MembersCountByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def invitation_by_id(self) -> InvitationByIdLoader:
        return InvitationByIdLoader(self.reader, self.scope)

    @cached_property
    def invitations_first_page_by_customer_id(self) -> InvitationsFirstPageByCustomerIdLoader:
        return InvitationsFirstPageByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def invitations_count_by_customer_id(self) -> InvitationsCountByCustomerIdLoader:
        return InvitationsCountByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def project_by_id(self) -> ProjectByIdLoader:
        return ProjectByIdLoader(self.reader, self.scope)

    @cached_property
    def projects_first_page_by_customer_id(self) -> ProjectsFirstPageByCustomerIdLoader:
        return ProjectsFirstPageByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def projects_count_by_customer_id(self) -> ProjectsCountByCustomerIdLoader:
        return ProjectsCountByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def customer_note_by_id(self) -> CustomerNoteByIdLoader:
        return CustomerNoteByIdLoader(self.reader, self.scope)

    @cached_property
    def customer_notes_first_page_by_customer_id(self) -> CustomerNotesFirstPageByCustomerIdLoader:
        return CustomerNotesFirstPageByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def customer_notes_count_by_customer_id(self) -> CustomerNotesCountByCustomerIdLoader:
        return CustomerNotesCountByCustomerIdLoader(self.reader, self.scope)

    @cached_property
    def plan_by_id(self) -> PlanByIdLoader:
        return PlanByIdLoader(self.reader, self.scope)

    @cached_property
    def master_key_by_id(self) -> MasterKeyByIdLoader:
        return MasterKeyByIdLoader(self.reader, self.scope)

    @cached_property
    def live_sessions_by_user_id(self) -> LiveSessionsByUserIdLoader:
        return LiveSessionsByUserIdLoader(self.reader, self.scope)

    @cached_property
    def feedback_first_page_by_user_id(self) -> FeedbackFirstPageByUserIdLoader:
        return FeedbackFirstPageByUserIdLoader(self.reader, self.scope)

    @cached_property
    def feedback_count_by_user_id(self) -> FeedbackCountByUserIdLoader:
        return FeedbackCountByUserIdLoader(self.reader, self.scope)

    @cached_property
    def activity_first_page_by_user_id(self) -> ActivityFirstPageByUserIdLoader:
        return ActivityFirstPageByUserIdLoader(self.reader)

    @cached_property
    def activity_count_by_user_id(self) -> ActivityCountByUserIdLoader:
        return ActivityCountByUserIdLoader(self.reader)
