"""Alembic environment: async engines, batch mode on SQLite so ALTERs work there too."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import app.models  # noqa: F401  (registers every table on the metadata)
from app.migrate import database_url_for
from app.models.base import metadata
from app.usage.partitions import is_partition

config = context.config


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # PostgreSQL lists a partitioned table's partitions as tables: the model is the parent.
    return not (type_ == "table" and name is not None and is_partition(name))


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else (url or "").split(":")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        render_as_batch=dialect.startswith("sqlite"),
        compare_type=True,
        include_name=_include_name,
        literal_binds=connection is None,
    )


def run_offline() -> None:
    _configure(url=database_url_for(config))
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    existing = config.attributes.get("connection")
    if existing is not None:
        _run_sync(existing)
        return
    engine = create_async_engine(database_url_for(config))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_sync)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
