"""The floor: workload W1 answered by one hand-written SQL statement that builds the whole JSON.

A minimal Starlette app, served by one uvicorn worker, answering `POST /graphql` for the users
page of `bench/queries/users_page.graphql` with the JSON Admiral returns. It reads nothing from
the request but `first`. The database builds the response in one statement, prefixed ids and
ISO 8601 timestamps included, so the app only wraps it in `{"data":{"users":…}}`: the speed a
read path compiled to one SQL statement could reach (docs/architecture.md).

`BENCH_FLOOR_DATABASE` is `postgresql://…` (asyncpg) or `sqlite:///path.db` (aiosqlite).
`GET /metrics` counts statements and requests the way Admiral's `/metrics` does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as app/kit/ids.py
FIRST = re.compile(rb"first:\s*(\d+)")
DEFAULT_FIRST, MAX_FIRST = 50, 200


def _pg_typeid(prefix: str, column: str) -> str:
    """`prefix_` + 26 base32 characters of a uuid's 128 bits, as `encode()` in app/kit/ids.py.

    Character i holds bits 5i-2 … 5i+2 of the id (the first one only its top 3 bits), which lie
    in at most two of the 16 bytes of `uuid_send()`.
    """
    chars = []
    for i in range(26):
        last = 5 * i + 2
        low, high = max(last - 4, 0) // 8, last // 8
        window = " | ".join(
            f"(get_byte(uuid_send({column}), {k}) << {8 * (high - k)})"
            for k in range(low, high + 1)
        )
        chars.append(f"substr('{ALPHABET}', ((({window}) >> {7 - last % 8}) & 31) + 1, 1)")
    return f"('{prefix}_' || " + " || ".join(chars) + ")"


def typeid(prefix: str, hex_id: str) -> str:
    """The same encoding as an SQLite function over the 32 hex digits SQLite stores.

    (Spelled in SQL, with instr/substr per hex digit, it costs ~35 µs per id on SQLite.)
    """
    number = int(hex_id, 16)
    return prefix + "_" + "".join(ALPHABET[(number >> shift) & 31] for shift in range(125, -1, -5))


def _pg_iso(column: str) -> str:
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {column})"
        f" = {column} THEN '' ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def _sqlite_iso(column: str) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); isoformat() drops a zero fraction.
    return (
        f"(substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || CASE WHEN "
        f"substr({column}, 20) = '.000000' THEN '' ELSE substr({column}, 20) END || '+00:00')"
    )


@dataclass(frozen=True)
class Dialect:
    """What differs between the PostgreSQL and the SQLite spelling of the statement."""

    name: str
    object_function: str  # json_build_object / json_object
    now: str  # placeholder of the current time
    first: str  # placeholder of the page size
    typeid: Callable[[str, str], str]  # SQL for the public id of an id column
    iso: Callable[[str], str]  # SQL for a UTC timestamp column as datetime.isoformat()

    def object(self, **fields: str) -> str:
        pairs = ", ".join(f"'{key}', {value}" for key, value in fields.items())
        return f"{self.object_function}({pairs})"

    def json(self, value: str) -> str:
        """Keep a nested value JSON (SQLite loses the JSON subtype across CASE and subqueries)."""
        return value if self.name == "postgresql" else f"json({value})"

    def array(self, element: str, source: str, order: str) -> str:
        """A JSON array of `element` for each row of `source`, in `order` (`[]` when empty)."""
        if self.name == "postgresql":
            return f"coalesce((SELECT json_agg({element} ORDER BY {order}) FROM {source}), '[]')"
        inner = f"SELECT {element} AS e FROM {source} ORDER BY {order}"
        return f"json((SELECT json_group_array(json(e)) FROM ({inner})))"


POSTGRESQL = Dialect(
    name="postgresql",
    object_function="json_build_object",
    now="$1",
    first="$2",
    typeid=_pg_typeid,
    iso=_pg_iso,
)
SQLITE = Dialect(
    name="sqlite",
    object_function="json_object",
    now="?1",
    first="?2",
    typeid=lambda prefix, column: f"typeid('{prefix}', {column})",
    iso=_sqlite_iso,
)


def users_page_sql(d: Dialect) -> str:
    """The statement: W1's page of ACTIVE users, newest first, with the total count."""

    def effective_active(t: str) -> str:
        lapsed = f"{t}.suspended_until IS NOT NULL AND {t}.suspended_until <= {d.now}"
        return f"({t}.status = 'ACTIVE' OR ({t}.status = 'SUSPENDED' AND {lapsed}))"

    plan = d.object(code="pl.code", name="pl.name")
    membership = d.object(
        role="m.role",
        customer=d.object(
            id=d.typeid("cus", "c.id"),
            name="c.name",
            plan=d.json(f"CASE WHEN pl.id IS NULL THEN NULL ELSE {plan} END"),
        ),
    )
    memberships = d.array(
        membership,
        "memberships AS m JOIN customers AS c ON c.id = m.customer_id"
        " LEFT JOIN plans AS pl ON pl.id = c.plan_id WHERE m.user_id = p.id",
        "m.id",
    )
    lapsed = f"p.suspended_until IS NOT NULL AND p.suspended_until <= {d.now}"
    node = d.object(
        id=d.typeid("usr", "p.id"),
        email="p.email",
        name="p.name",
        status=f"CASE WHEN p.status = 'SUSPENDED' AND {lapsed} THEN 'ACTIVE' ELSE p.status END",
        createdAt=d.iso("p.created_at"),
        memberships=memberships,
        notesCount="(SELECT count(*) FROM user_notes AS n WHERE n.user_id = p.id)",
    )
    page = (
        f"(SELECT * FROM users AS u WHERE {effective_active('u')}"
        f" ORDER BY u.created_at DESC, u.id DESC LIMIT {d.first}) AS p"
    )
    users = d.object(
        totalCount=f"(SELECT count(*) FROM users AS u WHERE {effective_active('u')})",
        edges=d.array(d.object(node=node), page, "p.created_at DESC, p.id DESC"),
    )
    return f"SELECT {users}"


class Counters:
    def __init__(self) -> None:
        self.statements = 0
        self.requests = 0
        self.verify_requests = 0
        self.license_requests = 0
        self.usage_requests = 0


# W2's floor: the one indexed read by hash that `/v1/keys/verify` does (bench/verify.py).
VERIFY_SQL = (
    "SELECT id, customer_id, project_id, scopes, expires_at, revoked_at, enabled, plan_code,"
    " rate_per_second, monthly_quota FROM api_keys WHERE key_hash = {}"
)


# W3's floor: the one indexed read by hash that `/v1/licenses/validate` does, and the public
# keys (read once) its Ed25519 verification needs (bench/licenses.py).
LICENSE_SQL = (
    "SELECT id, customer_id, max_machines, entitlements, expires_at, suspended_at,"
    " billing_suspended_at, revoked_at FROM licenses WHERE key_hash = {}"
)
PUBLIC_KEYS_SQL = "SELECT kid, public_key FROM signing_keys"
# W3's floor: the rows `POST /v1/usage` stores, inserted by one prepared statement
# (bench/ingest.py), for the customer and metric the bench writes, once both exist, into the
# file BENCH_USAGE_IDS_FILE names (`customer_hex:metric_hex`).
USAGE_COLUMNS = (
    "customer_id, project_id, metric_id, quantity, occurred_at, hour_start, day_start, received_at"
)


def usage_rows(events: list[dict[str, Any]], text_times: bool) -> list[tuple[Any, ...]]:
    customer, metric = Path(os.environ["BENCH_USAGE_IDS_FILE"]).read_text().strip().split(":")
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    times: tuple[Any, ...] = (now, hour, day)
    if text_times:
        times = tuple(t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in times)
    zero = "0" * 32
    ids: tuple[Any, ...] = (customer, zero, metric)
    if not text_times:
        ids = tuple(uuid.UUID(v) for v in ids)
    return [(*ids, int(e["quantity"]), times[0], times[1], times[2], times[0]) for e in events]


class Store(Protocol):
    async def users_page(self, now: datetime, first: int) -> str: ...

    async def key_by_hash(self, digest: str) -> tuple[Any, ...] | None: ...

    async def one(self, sql: str, value: str | None) -> list[tuple[Any, ...]]: ...
    async def insert_usage(self, events: list[dict[str, Any]]) -> None: ...

    async def close(self) -> None: ...


class PostgresStore:
    sql = users_page_sql(POSTGRESQL)

    def __init__(self, pool: asyncpg.Pool, counters: Counters) -> None:
        self.pool = pool
        self.counters = counters

    @classmethod
    async def open(cls, url: str, counters: Counters) -> PostgresStore:
        return cls(await asyncpg.create_pool(url, min_size=1, max_size=10), counters)

    async def users_page(self, now: datetime, first: int) -> str:
        self.counters.statements += 1
        result: str = await self.pool.fetchval(self.sql, now, first)
        return result

    async def key_by_hash(self, digest: str) -> tuple[Any, ...] | None:
        self.counters.statements += 1
        row = await self.pool.fetchrow(VERIFY_SQL.format("$1"), digest)
        return tuple(row) if row is not None else None

    async def one(self, sql: str, value: str | None) -> list[tuple[Any, ...]]:
        self.counters.statements += 1
        rows = await self.pool.fetch(sql.format("$1"), *([value] if value is not None else []))
        return [tuple(row) for row in rows]

    async def insert_usage(self, events: list[dict[str, Any]]) -> None:
        self.counters.statements += 1
        marks = ", ".join(f"${n}" for n in range(1, 9))
        async with self.pool.acquire() as connection:
            await connection.executemany(
                f"INSERT INTO usage_events ({USAGE_COLUMNS}) VALUES ({marks})",
                usage_rows(events, text_times=False),
            )

    async def close(self) -> None:
        await self.pool.close()


class SQLiteStore:
    sql = users_page_sql(SQLITE)

    def __init__(self, connections: list[aiosqlite.Connection], counters: Counters) -> None:
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self.idle.put_nowait(connection)
        self.connections = connections
        self.counters = counters

    @classmethod
    async def open(cls, path: str, counters: Counters, size: int = 5) -> SQLiteStore:
        connections = []
        for _ in range(size):
            connection = await aiosqlite.connect(path, isolation_level=None)
            await connection.create_function("typeid", 2, typeid, deterministic=True)
            connections.append(connection)
        return cls(connections, counters)

    async def users_page(self, now: datetime, first: int) -> str:
        # Stored times are naive UTC text: compare with the same spelling.
        stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        connection = await self.idle.get()
        try:
            self.counters.statements += 1
            async with connection.execute(self.sql, (stamp, first)) as cursor:
                row = await cursor.fetchone()
        finally:
            self.idle.put_nowait(connection)
        assert row is not None
        result: str = row[0]
        return result

    async def key_by_hash(self, digest: str) -> tuple[Any, ...] | None:
        connection = await self.idle.get()
        try:
            self.counters.statements += 1
            async with connection.execute(VERIFY_SQL.format("?"), (digest,)) as cursor:
                row = await cursor.fetchone()
        finally:
            self.idle.put_nowait(connection)
        return tuple(row) if row is not None else None

    async def one(self, sql: str, value: str | None) -> list[tuple[Any, ...]]:
        connection = await self.idle.get()
        try:
            self.counters.statements += 1
            params = (value,) if value is not None else ()
            async with connection.execute(sql.format("?"), params) as cursor:
                rows = await cursor.fetchall()
        finally:
            self.idle.put_nowait(connection)
        return [tuple(row) for row in rows]

    async def insert_usage(self, events: list[dict[str, Any]]) -> None:
        connection = await self.idle.get()
        try:
            self.counters.statements += 1
            marks = ", ".join("?" * 8)
            await connection.execute("BEGIN IMMEDIATE")
            await connection.executemany(
                f"INSERT INTO usage_events ({USAGE_COLUMNS}) VALUES ({marks})",
                usage_rows(events, text_times=True),
            )
            await connection.execute("COMMIT")
        finally:
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


async def open_store(url: str, counters: Counters) -> Store:
    if url.startswith("sqlite:///"):
        return await SQLiteStore.open(url.removeprefix("sqlite:///"), counters)
    return await PostgresStore.open(url, counters)


counters = Counters()


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.store = await open_store(os.environ["BENCH_FLOOR_DATABASE"], counters)
    yield
    await app.state.store.close()


async def graphql(request: Request) -> Response:
    found = FIRST.search(await request.body())
    first = min(int(found[1]), MAX_FIRST) if found else DEFAULT_FIRST
    store: Store = request.app.state.store
    try:
        users = await store.users_page(datetime.now(UTC), first)
    finally:
        counters.requests += 1  # answered, even with an error, as Admiral counts them
    body = b'{"data":{"users":' + users.encode() + b"}}"
    return Response(body, media_type="application/json")


async def verify(request: Request) -> Response:
    """W2: hash the presented key, read its row by the unique hash, answer whether it is
    usable: the work Admiral's `/v1/keys/verify` cannot avoid, without its checks."""
    key = orjson.loads(await request.body()).get("key", "")
    store: Store = request.app.state.store
    try:
        row = await store.key_by_hash(hashlib.sha256(key.encode()).hexdigest())
    finally:
        counters.verify_requests += 1
    if row is None:
        return JSONResponse({"valid": False, "code": "NOT_FOUND"})
    return JSONResponse({"valid": bool(row[6]), "code": "VALID", "plan": row[7]})


PUBLIC_KEYS: dict[str, Ed25519PublicKey] = {}


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def validate(request: Request) -> Response:
    """W3: verify the license key's Ed25519 signature (public keys read once), hash it, read
    its row by the unique hash: what Admiral's `/v1/licenses/validate` cannot avoid."""
    key = orjson.loads(await request.body()).get("key", "")
    store: Store = request.app.state.store
    try:
        header, payload, signature = key.split(".")
        kid = orjson.loads(_b64(header))["kid"]
        if kid not in PUBLIC_KEYS:
            for found, public in await store.one(PUBLIC_KEYS_SQL, None):
                PUBLIC_KEYS[found] = Ed25519PublicKey.from_public_bytes(_b64(public))
        try:
            PUBLIC_KEYS[kid].verify(_b64(signature), f"{header}.{payload}".encode())
        except (InvalidSignature, KeyError):
            return JSONResponse({"valid": False, "code": "INVALID_SIGNATURE", "license": None})
        rows = await store.one(LICENSE_SQL, hashlib.sha256(key.encode()).hexdigest())
    finally:
        counters.license_requests += 1
    if not rows:
        return JSONResponse({"valid": False, "code": "NOT_FOUND", "license": None})
    row = rows[0]
    usable = row[5] is None and row[6] is None and row[7] is None
    return JSONResponse({"valid": usable, "code": "VALID" if usable else "SUSPENDED"})


async def usage(request: Request) -> Response:
    """W3: store the batch's rows with one prepared statement and answer 202, without
    Admiral's key check, validation or idempotency."""
    events = orjson.loads(await request.body())["events"]
    store: Store = request.app.state.store
    try:
        await store.insert_usage(events)
    finally:
        counters.usage_requests += 1
    return JSONResponse({"received": len(events)}, status_code=202)


async def live(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def metrics(_: Request) -> Response:
    return PlainTextResponse(
        "# TYPE floor_sql_statements_total counter\n"
        f"floor_sql_statements_total {counters.statements}\n"
        "# TYPE floor_http_requests_total counter\n"
        f'floor_http_requests_total{{route="/graphql"}} {counters.requests}\n'
        f'floor_http_requests_total{{route="/v1/keys/verify"}} {counters.verify_requests}\n'
        f'floor_http_requests_total{{route="/v1/licenses/validate"}} {counters.license_requests}\n'
        f'floor_http_requests_total{{route="/v1/usage"}} {counters.usage_requests}\n'
    )


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["POST"]),
        Route("/v1/keys/verify", verify, methods=["POST"]),
        Route("/v1/licenses/validate", validate, methods=["POST"]),
        Route("/v1/usage", usage, methods=["POST"]),
        Route("/live", live),
        Route("/metrics", metrics),
    ],
    lifespan=lifespan,
)
