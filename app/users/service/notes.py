"""Admin notes about a user, and the feedback users send."""

from __future__ import annotations

import uuid

from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.models import (
    Feedback,
    FeedbackKind,
    NoteCategory,
    UserNote,
)
from app.models.users import User
from app.users import repository
from app.users.service.common import (
    MAX_FEEDBACK,
    MAX_NOTE,
    MAX_PAGE,
    add_admin_note,
    load,
    public_id,
)


async def add_note(
    uow: UnitOfWork, *, user_id: uuid.UUID, category: NoteCategory, body: str
) -> UserNote:
    body = checked_text(body, "body", MAX_NOTE)
    user = await load(uow, user_id)
    note = await add_admin_note(uow, user, category, body)
    await uow.session.flush()
    uow.record(
        "user_note.create",
        "UserNote",
        encode(UserNote.PREFIX, note.id),
        after={"userId": public_id(user), "category": category, "body": body},
    )
    return note


async def delete_note(uow: UnitOfWork, *, note_id: uuid.UUID) -> UserNote:
    note = await repository.get_note(uow.session, note_id)
    if note is None:
        raise not_found("Note", "noteId")
    await uow.session.delete(note)
    await uow.session.flush()
    uow.record(
        "user_note.delete",
        "UserNote",
        encode(UserNote.PREFIX, note.id),
        before={
            "userId": encode(User.PREFIX, note.user_id),
            "category": note.category,
            "body": note.body,
        },
    )
    return note


async def submit_feedback(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    kind: str,
    message: str,
    rating: int | None,
    page: str | None,
) -> Feedback:
    problems: list[UserInputError] = []
    try:
        parsed_kind = FeedbackKind(kind)
    except ValueError:
        choices = ", ".join(item.value for item in FeedbackKind)
        problems.append(UserInputError(f"Use one of {choices}.", ErrorCode.INVALID, "kind"))
    try:
        message = checked_text(message, "message", MAX_FEEDBACK)
    except UserInputError as error:
        problems.append(error)
    if rating is not None and (isinstance(rating, bool) or not 1 <= rating <= 5):
        problems.append(UserInputError("A rating is 1 to 5.", ErrorCode.INVALID, "rating"))
    try:
        page = checked_text(page or "", "page", MAX_PAGE, required=False) or None
    except UserInputError as error:
        problems.append(error)
    if problems:
        raise UserInputErrors(problems)
    user = await load(uow, user_id)
    feedback = Feedback(
        user_id=user.id,
        kind=parsed_kind,
        message=message,
        rating=rating,
        page=page,
        created_at=clock.now(),
    )
    uow.session.add(feedback)
    await uow.session.flush()
    uow.record(
        "feedback.create",
        "Feedback",
        encode(Feedback.PREFIX, feedback.id),
        after={"userId": public_id(user), "kind": parsed_kind, "rating": rating},
    )
    return feedback
