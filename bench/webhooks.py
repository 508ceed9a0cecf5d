"""Webhook dispatcher throughput: deliveries per second to a local receiver.

    .venv/bin/python bench/webhooks.py                      # SQLite in a temporary directory
    BENCH_DATABASE_URL=postgresql+asyncpg://…/db .venv/bin/python bench/webhooks.py

Publishes BENCH_EVENTS events (default 2,000) to one endpoint, then runs the dispatcher until
every delivery succeeded, and prints the rate (fan-out, signing, sending, recording included).
The receiver is a minimal HTTP/1.1 server in another process answering 200 at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from app import migrate
from app.kit.actor import Actor
from app.kit.scope import EVERYTHING
from app.kit.uow import UnitOfWork
from app.models import Customer
from app.models.tables import WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES
from app.runtime import database
from app.settings import Settings
from app.webhooks import service
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.sender import Policy

EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
PORT = int(os.environ.get("BENCH_RECEIVER_PORT", "8765"))


def receive(port: int) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(main())


async def run(url: str, secret_file: Path) -> None:
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key",  # noqa: S106  a throwaway database
        secret_file=str(secret_file),
        webhooks_allow_http=True,
        webhooks_allow_private=True,
    )
    db = database(settings)
    actor = Actor.system("bench")

    async def setup(uow: UnitOfWork) -> Customer:
        customer = Customer(slug="bench", name="Bench", billing_email="bench@example.test")
        uow.session.add(customer)
        await uow.session.flush()
        await service.create_endpoint(
            uow,
            customer_id=customer.id,
            url=f"http://127.0.0.1:{PORT}/hooks",
            event_types=["customer.updated"],
            description=None,
            secret_key=settings.resolved_secret_key(),
            policy=Policy(allow_http=True, allow_private=True),
        )
        for number in range(EVENTS):
            uow.publish("customer.updated", {"number": number}, customer_id=customer.id)
        return customer

    await db.run(setup, actor=actor, row_scope=EVERYTHING)
    dispatcher = Dispatcher(db, settings)
    started = time.perf_counter()
    sent = 0
    while sent < EVENTS:
        sent += await dispatcher.step()
    elapsed = time.perf_counter() - started
    async with db.write_session() as session:
        done = await session.scalar(
            sa.select(sa.func.count()).where(WEBHOOK_DELIVERIES.c.status == "SUCCEEDED")
        )
        errors = (
            await session.execute(
                sa.select(WEBHOOK_ATTEMPTS.c.error, sa.func.count()).group_by(
                    WEBHOOK_ATTEMPTS.c.error
                )
            )
        ).all()
    await dispatcher.close()
    await db.dispose()
    engine = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"{engine}: {done} deliveries in {elapsed:.2f} s = {done / elapsed:.0f} deliveries/s")
    print("attempts by outcome:", {error or "ok": count for error, count in errors})


def main() -> None:
    receiver = multiprocessing.Process(target=receive, args=(PORT,), daemon=True)
    receiver.start()
    time.sleep(0.5)  # let the receiver bind before the first send
    try:
        with tempfile.TemporaryDirectory() as directory:
            url = os.environ.get(
                "BENCH_DATABASE_URL", f"sqlite+aiosqlite:///{directory}/bench-webhooks.db"
            )
            migrate.upgrade(url)
            asyncio.run(run(url, Path(directory) / "secret"))
    finally:
        receiver.terminate()


if __name__ == "__main__":
    main()
