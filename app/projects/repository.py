"""SQL for projects."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.readmodel import ReadModel, one, registry, row_filter, scoped_by
from app.kit.scope import RowScope
from app.models.projects import Project
from app.models.tables import PROJECTS


def _project_search(text: str) -> sa.ColumnElement[bool]:
    lowered = text.lower()
    return sa.or_(
        sa.func.lower(PROJECTS.c.name).contains(lowered, autoescape=True),
        PROJECTS.c.slug.contains(lowered, autoescape=True),
    )


PROJECT_MODEL = registry.register(
    ReadModel(
        name="Project",
        table=PROJECTS,
        prefix=Project.PREFIX,
        fields={
            "name": "name",
            "slug": "slug",
            "createdAt": "created_at",
            "updatedAt": "updated_at",
        },
        scope=scoped_by(PROJECTS.c.customer_id),
        relations=(one("customer", "Customer", "customer_id"),),
        filters={
            "customer_id": row_filter(lambda customer_id: PROJECTS.c.customer_id == customer_id),
            "search": row_filter(_project_search),
        },
        orderings={"CREATED_AT": PROJECTS.c.created_at, "NAME": PROJECTS.c.name},
    )
)


async def project_in_scope(
    session: AsyncSession, project_id: uuid.UUID, scope: RowScope
) -> Project | None:
    statement = sa.select(Project).where(
        PROJECTS.c.id == project_id, *PROJECT_MODEL.conditions(scope)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def project_slug_taken(
    session: AsyncSession,
    customer_id: uuid.UUID,
    slug: str,
    except_id: uuid.UUID | None = None,
) -> bool:
    statement = sa.select(PROJECTS.c.id).where(
        PROJECTS.c.customer_id == customer_id, PROJECTS.c.slug == slug
    )
    if except_id is not None:
        statement = statement.where(PROJECTS.c.id != except_id)
    return (await session.execute(statement.limit(1))).first() is not None


async def count_active_project_keys(session: AsyncSession, project_id: uuid.UUID) -> int:
    """How many active API keys a project holds (a project with any may not be deleted).

    API keys do not exist yet: the keys issue replaces this body with a count over its table.
    """
    del session, project_id
    return 0
