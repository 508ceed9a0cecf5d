"""SQL for projects."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit import clock
from app.kit.readmodel import ReadModel, many, one, registry, row_filter, scoped_by
from app.kit.scope import RowScope
from app.models.base import UTCDateTime
from app.models.keys import API_KEYS
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
        relations=(
            one("customer", "Customer", "customer_id"),
            many("apiKeys", "ApiKey", "project_id", arguments=("status",)),
            # Declared by name: the licenses domain, above this one, registers `SigningKey`.
            many("signingKeys", "SigningKey", "project_id"),
        ),
        filters={
            "customer_id": row_filter(lambda customer_id: PROJECTS.c.customer_id == customer_id),
            "search": row_filter(_project_search),
        },
        orderings={"CREATED_AT": PROJECTS.c.created_at, "NAME": PROJECTS.c.name},
        master_only=frozenset({"signingKeys"}),
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

    Active: neither revoked (a rotated key in its grace period still counts) nor expired, the
    rule of `app/keys/repository.py::status_condition`, which this layer cannot import."""
    now = sa.literal(clock.now(), UTCDateTime())
    statement = sa.select(sa.func.count()).where(
        API_KEYS.c.project_id == project_id,
        sa.or_(API_KEYS.c.revoked_at.is_(None), API_KEYS.c.revoked_at > now),
        sa.or_(API_KEYS.c.expires_at.is_(None), API_KEYS.c.expires_at > now),
    )
    return int((await session.execute(statement)).scalar_one())
