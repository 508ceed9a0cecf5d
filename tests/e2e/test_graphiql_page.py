"""The GraphiQL page without a browser: it references only files served by the app itself."""

from __future__ import annotations

import re

import httpx

from app.graphql.ide import STATIC_DIR

ABSOLUTE_URL = re.compile(r"\bhttps?://", re.IGNORECASE)
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
VENDORED = ("graphiql", "react", "react-dom")


async def page(client: httpx.AsyncClient) -> str:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def test_graphiql_page_has_no_absolute_url(client: httpx.AsyncClient) -> None:
    html = await page(client)
    assert "<title>Admiral GraphiQL</title>" in html
    assert ABSOLUTE_URL.findall(html) == []
    script = await client.get("/static/graphiql/admiral-graphiql.js")
    assert script.status_code == 200
    assert ABSOLUTE_URL.findall(script.text) == []


async def test_graphiql_page_assets_are_served(client: httpx.AsyncClient) -> None:
    references = REFERENCE.findall(await page(client))
    assets = [url for url in references if url.startswith("/static/graphiql/")]
    assert sorted(set(references) - set(assets)) == ["data:,"]
    assert {url.rsplit("/", 1)[-1] for url in assets} == {
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "admiral-graphiql.js",
    }
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.content, url
        expected = "text/css" if url.endswith(".css") else "javascript"
        assert expected in response.headers["content-type"], url


async def test_vendored_packages_keep_their_license(client: httpx.AsyncClient) -> None:
    versions = (STATIC_DIR / "graphiql" / "VERSIONS").read_text()
    for package in VENDORED:
        assert re.search(rf"^{package} \d+\.\d+\.\d+$", versions, re.MULTILINE), package
        response = await client.get(f"/static/graphiql/{package}/LICENSE")
        assert response.status_code == 200, package
        assert "Permission is hereby granted" in response.text, package
