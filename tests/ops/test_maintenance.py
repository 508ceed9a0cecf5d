"""Maintenance mode: every mutation but a master's is refused (MAINTENANCE_MODE, nothing
written); queries, logging in, masters and the product's REST endpoints keep working."""

from __future__ import annotations

import httpx

from app.db import Database
from app.models.webhooks import WebhookEndpoint
from tests.helpers import DEFAULT_PASSWORD, Factory, GraphQL, Mutation, World, gid
from tests.licenses.support import heartbeat, issue, new_license
from tests.ops.support import put

CREATE = Mutation("webhookEndpointCreate", "endpoint { id } secret")
LOGIN = Mutation("sessionCreate", "token")
ENDPOINT = "https://93.184.215.14/hooks"


def endpoint_input(world: World) -> dict[str, object]:
    return {"customerId": gid("cus", world.own), "url": ENDPOINT, "eventTypes": ["member.added"]}


async def test_session_admins_are_refused_and_nothing_is_written(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await put(gql, world.master, "maintenanceMode", True)
    await put(gql, world.master, "maintenanceMessage", "Back at 08:00 UTC.")
    impersonating = await factory.session_token(world.owner, impersonator=world.staff)
    for token in (world.owner_token, world.admin_token, impersonating):
        payload = await CREATE.payload(gql, endpoint_input(world), token=token)
        assert payload["userErrors"] == [
            {"field": None, "message": "Back at 08:00 UTC.", "code": "MAINTENANCE_MODE"}
        ]
        assert payload["endpoint"] is None
        # A dry run is refused as well: it would report a change that cannot be made.
        assert (await CREATE.refused(gql, endpoint_input(world), token=token, dry_run=True)) == [
            ("MAINTENANCE_MODE", None)
        ]
    assert await factory.count(WebhookEndpoint) == 0
    # Queries keep working.
    data = await gql.ok("{ me { user { email } } }", token=world.owner_token)
    assert data["me"]["user"]["email"] == "owner@own.test"


async def test_masters_keep_changing_and_turn_it_off(
    gql: GraphQL, world: World, factory: Factory
) -> None:
    await put(gql, world.master, "maintenanceMode", True)
    # A master key and a staff session are masters.
    await CREATE.ok(gql, endpoint_input(world), token=world.master)
    await CREATE.ok(gql, endpoint_input(world), token=world.staff_token)
    assert await factory.count(WebhookEndpoint) == 2
    await put(gql, world.staff_token, "maintenanceMode", False)
    await CREATE.ok(gql, endpoint_input(world), token=world.owner_token)
    assert await factory.count(WebhookEndpoint) == 3


async def test_logging_in_still_works(gql: GraphQL, world: World) -> None:
    await put(gql, world.master, "maintenanceMode", True)
    payload = await LOGIN.ok(gql, {"email": "owner@own.test", "password": DEFAULT_PASSWORD})
    token = payload["token"]
    assert (await gql.ok("{ me { user { email } } }", token=token))["me"]["user"]["email"]
    refused = await CREATE.refused(gql, endpoint_input(world), token=token)
    assert refused == [("MAINTENANCE_MODE", None)]


async def test_the_products_rest_endpoints_keep_working(
    gql: GraphQL, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    # Heartbeats (and usage, key verification) are the customers' products talking, not
    # administration: refusing them would take those products down with the admin plane.
    _, key = await issue(gql, world.master, new_license(world))
    await put(gql, world.master, "maintenanceMode", True)
    answer = await heartbeat(client, key, "machine-1")
    assert answer["code"] == "VALID"
    assert answer["machine"]["fingerprint"] == "machine-1"
