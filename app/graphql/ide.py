"""The GraphiQL page, served from files vendored in the package (works offline)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"


def graphiql_html() -> str:
    return (STATIC_DIR / "graphiql" / "index.html").read_text()
