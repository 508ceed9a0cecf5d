"""Projects: create, update, delete (refused while it holds active keys), search."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from app.projects import repository
from tests.customers import support
from tests.helpers import GraphQL, Mutation, World, gid

PROJECT = "project { id name slug customer { slug } }"
PROJECT_CREATE = Mutation("projectCreate", PROJECT)
PROJECT_UPDATE = Mutation("projectUpdate", PROJECT)
PROJECT_DELETE = Mutation("projectDelete", "deletedProjectId customer { slug }")


def new_project(world: World, **fields: str) -> dict[str, str]:
    return {"customerId": gid("cus", world.own), "name": "Web App", "slug": "web", **fields}


async def test_create(gql: GraphQL, world: World, db: Database) -> None:
    payload = await PROJECT_CREATE.ok(
        gql, new_project(world, slug=" WEB "), token=world.owner_token
    )
    assert payload["project"]["slug"] == "web"
    assert payload["project"]["customer"] == {"slug": "own-co"}
    [event] = await support.events(db, "project.create")
    assert event.customer_id == world.own.id
    assert event.target_id == payload["project"]["id"]


async def test_a_slug_is_unique_within_its_customer_only(
    gql: GraphQL, world: World, db: Database
) -> None:
    await support.project(db, world.own, slug="web")
    found = await PROJECT_CREATE.refused(gql, new_project(world), token=world.owner_token)
    assert found == [("SLUG_TAKEN", ["input", "slug"])]
    elsewhere = {**new_project(world), "customerId": gid("cus", world.other)}
    payload = await PROJECT_CREATE.ok(gql, elsewhere, token=world.master)
    assert payload["project"]["slug"] == "web"
    assert payload["project"]["customer"] == {"slug": "other-co"}


async def test_create_checks_every_field(gql: GraphQL, world: World) -> None:
    found = await PROJECT_CREATE.refused(
        gql, new_project(world, name="", slug="-bad-"), token=world.master
    )
    assert found == [("REQUIRED", ["input", "name"]), ("INVALID", ["input", "slug"])]


async def test_update(gql: GraphQL, world: World, db: Database) -> None:
    project = await support.project(db, world.own)
    payload = await PROJECT_UPDATE.ok(
        gql,
        {"projectId": gid("prj", project), "name": "Public API", "slug": "public-api"},
        token=world.admin_token,
    )
    assert (payload["project"]["name"], payload["project"]["slug"]) == ("Public API", "public-api")
    [event] = await support.events(db, "project.update")
    assert event.diff == {
        "name": {"before": "API", "after": "Public API"},
        "slug": {"before": "api", "after": "public-api"},
    }


async def test_update_to_a_taken_slug(gql: GraphQL, world: World, db: Database) -> None:
    project = await support.project(db, world.own)
    await support.project(db, world.own, slug="web")
    found = await PROJECT_UPDATE.refused(
        gql, {"projectId": gid("prj", project), "slug": "web"}, token=world.master
    )
    assert found == [("SLUG_TAKEN", ["input", "slug"])]


async def test_update_another_customers_project_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    project = await support.project(db, world.other)
    found = await PROJECT_UPDATE.refused(
        gql, {"projectId": gid("prj", project), "name": "Mine now"}, token=world.owner_token
    )
    assert found == [("NOT_FOUND", ["input", "projectId"])]


async def test_delete(gql: GraphQL, world: World, db: Database) -> None:
    project = await support.project(db, world.own)
    before = await support.counts(db)
    payload = await PROJECT_DELETE.ok(
        gql, {"projectId": gid("prj", project)}, token=world.owner_token
    )
    assert payload == {
        "userErrors": [],
        "deletedProjectId": gid("prj", project),
        "customer": {"slug": "own-co"},
    }
    assert (await support.counts(db))["projects"] == before["projects"] - 1
    [event] = await support.events(db, "project.delete")
    assert event.customer_id == world.own.id


async def test_a_project_holding_active_keys_is_not_deleted(
    gql: GraphQL, world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one_key(*_: Any) -> int:
        return 1

    # Stands in for the keys table the API keys issue brings.
    monkeypatch.setattr(repository, "count_active_project_keys", one_key)
    project = await support.project(db, world.own)
    before = await support.counts(db)
    found = await PROJECT_DELETE.refused(
        gql, {"projectId": gid("prj", project)}, token=world.master
    )
    assert found == [("PROJECT_NOT_EMPTY", ["input", "projectId"])]
    assert await support.counts(db) == before


async def test_delete_another_customers_project_is_not_found(
    gql: GraphQL, world: World, db: Database
) -> None:
    project = await support.project(db, world.other)
    found = await PROJECT_DELETE.refused(
        gql, {"projectId": gid("prj", project)}, token=world.admin_token
    )
    assert found == [("NOT_FOUND", ["input", "projectId"])]


async def test_customer_projects_search(gql: GraphQL, world: World, db: Database) -> None:
    await support.project(db, world.own, slug="api", name="Public API")
    await support.project(db, world.own, slug="web", name="Website")
    await support.project(db, world.own, slug="mobile", name="Phone app")
    query = """
        query($search: String) {
          customers { nodes { projects(search: $search) { totalCount nodes { slug } } } }
        }"""

    async def slugs(search: str | None) -> tuple[int, list[str]]:
        data = await gql.ok(query, {"search": search}, token=world.owner_token)
        found = data["customers"]["nodes"][0]["projects"]
        return found["totalCount"], sorted(node["slug"] for node in found["nodes"])

    assert await slugs("PHONE") == (1, ["mobile"])  # by name, ignoring case
    assert await slugs("web") == (1, ["web"])  # by slug
    assert await slugs(None) == (3, ["api", "mobile", "web"])
    too_long = await gql(query, {"search": "x" * 101}, token=world.owner_token)
    assert too_long.codes == ["BAD_USER_INPUT"]


async def test_customer_projects_pages(gql: GraphQL, world: World, db: Database) -> None:
    for n in range(3):
        await support.project(db, world.own, slug=f"p{n}")
    query = """
        query($id: ID!, $after: String) {
          customer(id: $id) {
            projects(first: 2, after: $after) {
              nodes { slug } pageInfo { hasNextPage endCursor }
            }
          }
        }"""
    variables: dict[str, Any] = {"id": gid("cus", world.own), "after": None}
    first = (await gql.ok(query, variables, token=world.owner_token))["customer"]["projects"]
    assert first["pageInfo"]["hasNextPage"] is True
    variables["after"] = first["pageInfo"]["endCursor"]
    second = (await gql.ok(query, variables, token=world.owner_token))["customer"]["projects"]
    assert second["pageInfo"]["hasNextPage"] is False
    seen = [n["slug"] for n in first["nodes"] + second["nodes"]]
    assert sorted(seen) == ["p0", "p1", "p2"]
