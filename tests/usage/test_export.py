"""GET /exports/usage.csv: range, auth, RFC 4180, formula neutralising, constant memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from app.db import Database
from app.kit import clock
from app.kit.csv_export import cell, csv_stream
from app.models.tables import MEMBERSHIPS
from app.models.users import User
from tests.helpers import Factory, GraphQL, World, gid
from tests.usage.support import api_key, at, flush_all, metric, send


async def _export(client: httpx.AsyncClient, token: str | None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.get("/exports/usage.csv", params=params, headers=headers)


async def test_usage_csv(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient, factory: Factory
) -> None:
    await metric(db, "calls")
    evil = await factory.customer("evil-co", name='=HYPERLINK("x")')
    own, other = await api_key(gql, world), await api_key(gql, world, evil)
    await send(
        client, own, [{"metric": "calls", "quantity": 2}, {"metric": "calls", "quantity": 3}]
    )
    await send(client, other, [{"metric": "calls", "quantity": 7}])
    await flush_all(db)
    response = await _export(client, world.master)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    today = clock.now().date()
    first = today.replace(day=1)
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="usage-{first.isoformat()}-'
    )
    assert response.text.endswith("\r\n")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == [
        "date",
        "customer_id",
        "customer",
        "project_id",
        "metric",
        "unit",
        "quantity",
        "events",
    ]
    body = sorted(table[1:])
    assert [(r[1], r[2], r[6], r[7]) for r in body] == sorted(
        [
            (gid("cus", world.own), world.own.name, "5", "2"),
            (gid("cus", evil), '\'=HYPERLINK("x")', "7", "1"),
        ]
    )
    # A session admin exports their own customers' usage only.
    mine = list(csv.reader(io.StringIO((await _export(client, world.owner_token)).text)))
    assert [r[1] for r in mine[1:]] == [gid("cus", world.own)]


async def test_usage_csv_ranges_and_auth(
    world: World, client: httpx.AsyncClient, db: Database
) -> None:
    assert (await _export(client, None)).status_code == 401
    for params, code, field in (
        ({"start_date": "2025-13-01"}, "INVALID", "start_date"),
        ({"end_date": "2025-2-01"}, "INVALID", "end_date"),
        ({"start_date": "2025-02-02", "end_date": "2025-02-01"}, "RANGE_REVERSED", "start_date"),
        ({"start_date": "2024-01-01", "end_date": "2025-01-01"}, "RANGE_TOO_LONG", "end_date"),
    ):
        response = await _export(client, world.master, **params)
        assert response.status_code == 400
        error = response.json()["errors"][0]["extensions"]
        assert (error["code"], error["field"]) == (code, [field])
    one_day = await _export(client, world.master, start_date="2025-02-01", end_date="2025-02-01")
    assert one_day.status_code == 200
    assert 'filename="usage-2025-02-01-2025-02-01.csv"' in one_day.headers["content-disposition"]
    assert one_day.text == "date,customer_id,customer,project_id,metric,unit,quantity,events\r\n"


async def test_old_days_are_exported_from_their_range(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient
) -> None:
    await metric(db, "calls")
    secret = await api_key(gql, world)
    day = clock.now() - timedelta(days=20)
    await send(client, secret, [{"metric": "calls", "quantity": 4, "timestamp": at(day)}])
    await flush_all(db)
    text = (
        await _export(
            client, world.master, start_date=day.date().isoformat(), end_date=day.date().isoformat()
        )
    ).text
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert [(r[0], r[6]) for r in rows] == [(day.date().isoformat(), "4")]


def test_neutralise() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert cell(text) == "'" + text
    assert cell("plain") == "plain"
    assert cell(-5) == -5  # a number stays a number
    assert cell(None) == ""


async def test_csv_stream_quotes_and_holds_one_row_at_a_time() -> None:
    async def few() -> AsyncIterator[list[object]]:
        yield ['a "quoted", cell', "line\nbreak", 3]

    chunks = [chunk async for chunk in csv_stream(["h1", "h2", "h3"], few())]
    assert b"".join(chunks) == b'h1,h2,h3\r\n"a ""quoted"", cell","line\nbreak",3\r\n'

    async def many(count: int) -> AsyncIterator[tuple[object, ...]]:
        for i in range(count):
            yield ("2025-01-01", f"cus_{i:020d}", "Some customer name", i, "calls")

    async def peak(count: int) -> tuple[int, int]:
        tracemalloc.start()
        size = 0
        async for chunk in csv_stream(["d", "c", "n", "q", "m"], many(count)):
            size += len(chunk)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, size

    small, _ = await peak(1_000)
    large, size = await peak(200_000)
    assert size > 10_000_000
    # 200 times the rows, the same memory (within noise): nothing accumulates.
    assert large < small + 64 * 1024, (small, large)


USAGE_LINK = "query($s: Date, $e: Date) { exportUrl(kind: USAGE, startDate: $s, endDate: $e) }"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _customers_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(row[1] for row in list(csv.reader(io.StringIO(response.text)))[1:])


async def test_signed_usage_link(
    gql: GraphQL, world: World, db: Database, client: httpx.AsyncClient, factory: Factory
) -> None:
    await metric(db, "calls")
    own, other = await api_key(gql, world), await api_key(gql, world, world.other)
    await send(client, own, [{"metric": "calls", "quantity": 2}])
    await send(client, other, [{"metric": "calls", "quantity": 7}])
    await flush_all(db)
    both = sorted([gid("cus", world.own), gid("cus", world.other)])

    master_link = _path((await gql.ok(USAGE_LINK, token=world.master))["exportUrl"])
    assert master_link.startswith("/exports/usage.csv?")
    assert "user=" not in master_link
    assert await _customers_of(await client.get(master_link)) == both  # no header

    # A session admin's link: their own customers only, without a header as well.
    mine = _path((await gql.ok(USAGE_LINK, token=world.owner_token))["exportUrl"])
    assert f"user={gid('usr', world.owner)}" in mine
    assert await _customers_of(await client.get(mine)) == [gid("cus", world.own)]
    # Naming someone else, or no one (a master's reach), breaks the signature.
    for forged in (
        mine.replace(gid("usr", world.owner), gid("usr", world.outsider)),
        mine.replace(f"user={gid('usr', world.owner)}&", ""),
    ):
        refused = await client.get(forged)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_INVALID"
    stretched = await client.get(mine.replace("start_date=", "start_date=2000"))
    assert stretched.status_code == 400  # not a date at all
    # The scope is the user's when fetched: once they no longer administer own-co, nothing.
    await memberships_deleted(db, world.owner)
    assert await _customers_of(await client.get(mine)) == []
    with clock.travel(timedelta(minutes=5, seconds=10)):
        expired = await client.get(master_link)
    assert expired.json()["errors"][0]["extensions"]["code"] == "SIGNATURE_EXPIRED"


async def test_only_usage_links_for_session_admins(gql: GraphQL, world: World) -> None:
    for kind in ("REVENUE", "CUSTOMERS", "TAX", "AUDIT"):
        refused = await gql(f"{{ exportUrl(kind: {kind}) }}", token=world.owner_token)
        assert refused.codes == ["FORBIDDEN"], kind
        assert (await gql.ok(f"{{ exportUrl(kind: {kind}) }}", token=world.master))["exportUrl"]
    assert (await gql(USAGE_LINK, token=None)).codes == ["UNAUTHENTICATED"]
    bad = await gql(USAGE_LINK, {"s": "2026-10-02", "e": "2026-10-01"}, token=world.owner_token)
    assert bad.codes == ["RANGE_REVERSED"]


async def memberships_deleted(db: Database, user: User) -> None:
    async with db.write_engine.begin() as connection:
        await connection.execute(sa.delete(MEMBERSHIPS).where(MEMBERSHIPS.c.user_id == user.id))
