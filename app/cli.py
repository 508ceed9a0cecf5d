"""The `admiral` command: database, demo data, master keys, serving."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer

from app import runtime
from app.auth import repository as auth_repository
from app.auth import service as auth_service
from app.auth.passwords import Passwords
from app.db import Database
from app.kit.actor import Actor
from app.kit.ids import encode
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.ops import seed as demo
from app.settings import Settings

# Plain help: typer's rich panels print a `<bool>` type column beside every flag.
_PLAIN: dict[str, Any] = {
    "no_args_is_help": True,
    "rich_markup_mode": None,
    "add_completion": False,
}
app = typer.Typer(help="Admiral: a GraphQL admin API for SaaS businesses.", **_PLAIN)
db_app = typer.Typer(help="Database migrations.", **_PLAIN)
keys_app = typer.Typer(help="Master API keys.", **_PLAIN)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


def _run(work: Callable[[Database, Settings], Awaitable[T]]) -> T:
    settings = Settings()

    async def main() -> T:
        database = runtime.database(settings)
        try:
            return await work(database, settings)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def _seed_demo(
    database: Database, settings: Settings, *, users: int, seed: int
) -> demo.SeedReport | None:
    """The demo data set in one unit of work, into a database without users only."""
    hasher = Passwords(settings.argon2_time_cost, settings.argon2_memory_cost)

    async def work(uow: UnitOfWork) -> demo.SeedReport | None:
        if await demo.has_users(uow.session):
            return None
        return await demo.seed(
            uow.session, users=users, seed=seed, demo_password_hash=hasher.hash(demo.DEMO_PASSWORD)
        )

    return await _in_unit_of_work(database, work)


async def _in_unit_of_work(database: Database, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    return await database.run(work, actor=Actor.system("cli"), row_scope=EVERYTHING)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app import migrate  # Alembic is loaded only by the commands that migrate

    migrate.upgrade(Settings().database_url, revision)


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (`base` removes every table)."""
    from app import migrate

    migrate.downgrade(Settings().database_url, revision)


@db_app.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""
    from app import migrate

    migrate.check(Settings().database_url)


@app.command("seed")
def seed_command(
    users: Annotated[int, typer.Option(help="How many users to create.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same data.")] = 1,
    usage_events: Annotated[
        int,
        typer.Option(
            help="Also insert this many usage events over the last 30 days (and roll them "
            "up); with existing users, only these are added."
        ),
    ] = 0,
) -> None:
    """Insert the deterministic demo data set into a database without users."""

    async def work(database: Database, settings: Settings) -> None:
        report = await _seed_demo(database, settings, users=users, seed=seed)
        if usage_events:
            from app.ops.usage_seed import seed_usage

            added = await seed_usage(database, usage_events, seed)
            typer.echo(f"Seeded {added} usage events (rolled up).", err=True)
            if report is None:
                return
        if report is None:
            typer.echo(
                "The database already has users; the demo data set is seeded only into "
                "an empty database. Nothing seeded.",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(
            f"Seeded {report.users} users, {report.customers} customers, "
            f"{report.memberships} memberships, {report.notes} notes, {report.plans} plans.",
            err=True,
        )
        typer.echo(f"Demo customer owner: {demo.DEMO_OWNER_EMAIL} / {demo.DEMO_PASSWORD}", err=True)

    _run(work)


@keys_app.command("create-master")
def keys_create_master(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    if_none: Annotated[
        bool, typer.Option(help="Only create one when no active master key exists.")
    ] = False,
) -> None:
    """Create a master key and print it (only the key, on stdout)."""

    async def work(database: Database, _: Settings) -> str | None:
        async def create(uow: UnitOfWork) -> str | None:
            if if_none and await auth_repository.count_active_master_keys(uow.session) > 0:
                return None
            issued = await auth_service.create_master_key(uow, name)
            return issued.token

        return await _in_unit_of_work(database, create)

    token = _run(work)
    if token is None:
        typer.echo(
            "A master key already exists; make another with "
            "`admiral keys create-master --name NAME`.",
            err=True,
        )
        return
    typer.echo(token)


@keys_app.command("list")
def keys_list() -> None:
    """List master keys (never the secrets)."""

    async def work(database: Database, _: Settings) -> None:
        async with database.write_session() as session:
            keys = await auth_repository.list_master_keys(session)
        for key in keys:
            state = "revoked" if key.revoked_at else "active"
            used = key.last_used_at.isoformat() if key.last_used_at else "never"
            typer.echo(
                f"{encode('mky', key.id)}  {key.prefix}…  {state:7}  last used {used}  {key.name}"
            )

    _run(work)


@app.command("setup")
def setup() -> None:
    """First-run preparation: migrate, seed demo data once, print a master key once."""
    from app import migrate

    settings = Settings()
    migrate.upgrade(settings.database_url)

    async def work(database: Database, settings: Settings) -> str | None:
        report = await _seed_demo(database, settings, users=300, seed=1) if settings.seed else None
        if report is not None:
            typer.echo(
                f"Seeded demo data: {report.users} users in {report.customers} customers.",
                err=True,
            )
            typer.echo(
                f"Demo customer owner: {demo.DEMO_OWNER_EMAIL} / {demo.DEMO_PASSWORD}", err=True
            )

        async def create(uow: UnitOfWork) -> str | None:
            if await auth_repository.count_active_master_keys(uow.session) > 0:
                return None
            return (await auth_service.create_master_key(uow, "first master key")).token

        return await _in_unit_of_work(database, create)

    token = _run(work)
    url = f"http://{settings.host}:{settings.port}/graphql"
    if token is None:
        typer.echo(
            f"GraphiQL: {url}  (make another master key: "
            "`.venv/bin/admiral keys create-master --name NAME`)",
            err=True,
        )
        return
    typer.echo(
        "\n  Master key (shown once, store it now):\n\n"
        f"    {token}\n\n"
        f"  Open {url} and add the header\n"
        f'    {{"Authorization": "Bearer {token}"}}\n',
        err=True,
    )


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL SDL (what `schema.graphql` holds)."""
    from app.graphql.schema import sdl

    sys.stdout.write(sdl())


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Nothing left to do: uvicorn has shut down gracefully already."""


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to ADMIRAL_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to ADMIRAL_PORT.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from app.logging import logging_config

    settings = Settings()
    # Once its graceful shutdown is done, uvicorn raises the signal that stopped it again, for
    # the handler in place before it ran. This one makes a SIGTERM (`docker stop`, a rolling
    # deploy) a normal exit, status 0: the process stopped as asked, its requests finished,
    # its buffers flushed.
    signal.signal(signal.SIGTERM, _stopped)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers,
        # Applied by uvicorn in every worker process. Admiral's middleware writes the access
        # log, with query string values redacted; uvicorn's would log the raw request line.
        log_config=logging_config(settings.log_level),
        access_log=False,
        proxy_headers=settings.trust_proxy_headers,
        # SIGTERM: stop accepting, let requests in flight finish within the grace, then the
        # lifespan flushes the buffers and gives claimed work back (`app/main.py`).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
