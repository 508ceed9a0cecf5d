"""Creating a user and changing their profile."""

from __future__ import annotations

import uuid
from typing import Any

from app.auth.passwords import Passwords, password_problem
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.jsonutil import dumps
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_email, checked_text
from app.models import (
    NoteCategory,
    User,
)
from app.users import repository
from app.users.service.common import (
    MAX_METADATA_BYTES,
    MAX_NAME,
    add_admin_note,
    load,
    record_change,
    require_not_deleted,
    snapshot,
)


async def create_user(
    uow: UnitOfWork,
    passwords: Passwords,
    *,
    email: str,
    name: str,
    password: str | None,
    is_staff: bool,
) -> User:
    problems: list[UserInputError] = []
    try:
        email = checked_email(email)
    except UserInputError as error:
        problems.append(error)
    try:
        name = checked_text(name, "name", MAX_NAME, required=False)
    except UserInputError as error:
        problems.append(error)
    if password is not None and (problem := password_problem(password, email)):
        problems.append(UserInputError(problem, ErrorCode.WEAK_PASSWORD, "password"))
    if problems:
        raise UserInputErrors(problems)
    if await repository.email_taken(uow.session, email):
        raise UserInputError("A user with this email exists.", ErrorCode.EMAIL_TAKEN, "email")
    now = clock.now()
    user = User(
        email=email,
        name=name,
        password_hash=passwords.hash(password) if password is not None else None,
        is_staff=is_staff,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(user)
    await uow.session.flush()
    record_change(uow, "user.create", user, {})
    return user


async def update_user(
    uow: UnitOfWork,
    *,
    user_id: uuid.UUID,
    name: str | None = None,
    email: str | None = None,
    is_staff: bool | None = None,
    metadata: dict[str, Any] | None = None,
) -> User:
    user = await load(uow, user_id)
    require_not_deleted(user)
    before = snapshot(user)
    if email is not None:
        email = checked_email(email)
        if email != user.email and await repository.email_taken(uow.session, email, user.id):
            raise UserInputError("A user with this email exists.", ErrorCode.EMAIL_TAKEN, "email")
        user.email = email
    if name is not None:
        user.name = checked_text(name, "name", MAX_NAME, required=False)
    if is_staff is not None:
        user.is_staff = is_staff
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise UserInputError("Metadata is a JSON object.", ErrorCode.INVALID, "metadata")
        if len(repr(metadata)) > MAX_METADATA_BYTES:
            raise UserInputError("Metadata is limited to 16 KB.", ErrorCode.TOO_LONG, "metadata")
        user.profile = metadata
    after = snapshot(user)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return user
    user.updated_at = clock.now()
    lines = [f"{key}: {_show(before[key])} → {_show(after[key])}" for key in changed]
    await add_admin_note(uow, user, NoteCategory.GENERAL, "Profile changed.\n" + "\n".join(lines))
    await uow.session.flush()
    record_change(uow, "user.update", user, before)
    return user


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, (dict, list)):
        return dumps(value).decode()
    return str(value)
