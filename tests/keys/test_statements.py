"""Key lists run the same number of SQL statements for 2 keys as for 10."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from tests.customers.support import project
from tests.helpers import Factory, GraphQL, StatementCounter, World, gid
from tests.keys.support import issue, new_key

FIELDS = "id name start status scopes customer { slug plan { code } } project { slug }"
LISTS = {
    "apiKeys": f"{{ apiKeys(first: 50) {{ totalCount nodes {{ {FIELDS} }} }} }}",
    "Customer.apiKeys": f"{{ customers {{ nodes {{ apiKeys {{ totalCount nodes {{ {FIELDS} }} }} }} }} }}",
    "Project.apiKeys": (
        "{ customers(first: 10) { nodes { projects(first: 5) { nodes { "
        "apiKeys(first: 20) { totalCount nodes { "
        f"{FIELDS} }} }} }} }} }} }} }}"
    ),
}


async def _fill(gql: GraphQL, world: World, db: Database, factory: Factory, n: int) -> None:
    for customer in (world.own, await factory.customer(plan=world.plan)):
        prj = await project(db, customer, slug=f"p{n}")
        for i in range(n):
            input: dict[str, Any] = {
                **new_key(world, name=f"k{i}"),
                "customerId": gid("cus", customer),
            }
            if i % 2:
                input["projectId"] = gid("prj", prj)
            await issue(gql, world.master, input)


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_key_lists_run_constant_statements(
    gql: GraphQL,
    world: World,
    db: Database,
    factory: Factory,
    statements: StatementCounter,
    name: str,
) -> None:
    measured = []
    for n in (2, 10):
        await _fill(gql, world, db, factory, n if not measured else n - 2)
        with statements.measure():
            data = await gql.ok(LISTS[name], token=world.master)
        measured.append(statements.count)
        assert data
    assert measured[0] == measured[1], measured
