"""License lists with machines and activations run the same statements for 2 as for 10."""

from __future__ import annotations

import httpx

from app.db import Database
from tests.helpers import Factory, GraphQL, StatementCounter, World, gid
from tests.licenses.support import heartbeat, issue, new_license

FIELDS = (
    "id keyHint status entitlements customer { slug plan { code } } project { slug } "
    "machines { fingerprint alive lastHeartbeatAt } activations { event createdAt }"
)
LIST = f"{{ licenses(first: 50) {{ totalCount nodes {{ {FIELDS} }} }} }}"


async def _fill(
    gql: GraphQL, world: World, factory: Factory, client: httpx.AsyncClient, n: int
) -> None:
    for customer in (world.own, await factory.customer(plan=world.plan)):
        for i in range(n):
            input = {**new_license(world), "customerId": gid("cus", customer)}
            _, key = await issue(gql, world.master, input)
            await heartbeat(client, key, f"m-{i}")


async def test_license_lists_run_constant_statements(
    gql: GraphQL,
    world: World,
    db: Database,
    factory: Factory,
    client: httpx.AsyncClient,
    statements: StatementCounter,
) -> None:
    measured = []
    for n in (2, 8):
        await _fill(gql, world, factory, client, n if not measured else n - 2)
        for token in (world.master, world.owner_token):
            with statements.measure():
                data = await gql.ok(LIST, token=token)
            measured.append(statements.count)
            assert data["licenses"]["nodes"][0]["machines"]
    assert measured[0] == measured[2], measured
    assert measured[1] == measured[3], measured
