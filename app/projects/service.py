"""Projects of a customer: what its API keys, signing keys and usage belong to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.customers.service.common import MAX_NAME, customer_in_scope, validated
from app.kit import clock
from app.kit.errors import ErrorCode, UserInputError, not_found
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_slug, checked_text
from app.models import (
    Customer,
    Project,
)
from app.projects import repository


def _project_view(project: Project) -> dict[str, Any]:
    return {"name": project.name, "slug": project.slug}


def _record_project(
    uow: UnitOfWork, action: str, project: Project, before: dict[str, Any], after: dict[str, Any]
) -> None:
    uow.record(
        action,
        "Project",
        encode(Project.PREFIX, project.id),
        before=before,
        after=after,
        customer_id=project.customer_id,
    )


async def _project(uow: UnitOfWork, project_id: uuid.UUID) -> Project:
    project = await repository.project_in_scope(uow.session, project_id, uow.row_scope)
    if project is None:
        raise not_found("Project", "projectId")
    return project


async def _require_free_project_slug(
    uow: UnitOfWork, customer_id: uuid.UUID, slug: str, except_id: uuid.UUID | None = None
) -> None:
    if await repository.project_slug_taken(uow.session, customer_id, slug, except_id):
        raise UserInputError(
            "Another project of this customer has this slug.", ErrorCode.SLUG_TAKEN, "slug"
        )


async def create_project(
    uow: UnitOfWork, *, customer_id: uuid.UUID, name: str, slug: str
) -> Project:
    values = validated(
        name=lambda: checked_text(name, "name", MAX_NAME), slug=lambda: checked_slug(slug)
    )
    customer = await customer_in_scope(uow, customer_id)
    await _require_free_project_slug(uow, customer.id, values["slug"])
    now = clock.now()
    project = Project(
        customer_id=customer.id,
        name=values["name"],
        slug=values["slug"],
        created_at=now,
        updated_at=now,
    )
    uow.session.add(project)
    await uow.session.flush()
    _record_project(uow, "project.create", project, {}, _project_view(project))
    return project


async def update_project(
    uow: UnitOfWork, *, project_id: uuid.UUID, name: str | None, slug: str | None
) -> Project:
    checks: dict[str, Callable[[], str]] = {}
    if name is not None:
        checks["name"] = lambda: checked_text(name, "name", MAX_NAME)
    if slug is not None:
        checks["slug"] = lambda: checked_slug(slug)
    values = validated(**checks)
    project = await _project(uow, project_id)
    before = _project_view(project)
    if "slug" in values and values["slug"] != project.slug:
        await _require_free_project_slug(uow, project.customer_id, values["slug"], project.id)
        project.slug = values["slug"]
    project.name = values.get("name", project.name)
    after = _project_view(project)
    if after == before:
        return project
    project.updated_at = clock.now()
    await uow.session.flush()
    _record_project(uow, "project.update", project, before, after)
    return project


@dataclass(frozen=True, slots=True)
class ProjectDeletion:
    project_public_id: str
    customer: Customer


async def delete_project(uow: UnitOfWork, *, project_id: uuid.UUID) -> ProjectDeletion:
    project = await _project(uow, project_id)
    if await repository.count_active_project_keys(uow.session, project.id):
        raise UserInputError(
            "This project holds active API keys: revoke them first.",
            ErrorCode.PROJECT_NOT_EMPTY,
            "projectId",
        )
    customer = await customer_in_scope(uow, project.customer_id)
    before = _project_view(project)
    await uow.session.delete(project)
    await uow.session.flush()
    _record_project(uow, "project.delete", project, before, {})
    return ProjectDeletion(encode(Project.PREFIX, project.id), customer)
