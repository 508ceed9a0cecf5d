"""Persisted documents: operations sent by the sha256 of their text instead of the text.

The console's build emits a manifest (`persisted-documents.json`: `{"sha256:<hex>": "query …"}`);
a request naming a hash in it (Automatic Persisted Queries' shape,
`extensions.persistedQuery.sha256Hash`) runs that document. The manifest is a static allowlist:
a hash the server does not know is never learned from a request, so with
`persisted_queries_only_for_sessions` a session caller (or one without credentials) can run only
the documents the console was built with, while a master may still send any document.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from app.auth.principal import Principal
from app.kit.errors import ErrorCode
from app.kit.http import error_response
from app.settings import Settings

log = logging.getLogger(__name__)

MANIFEST_NAME = "persisted-documents.json"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hex(value: str) -> str:
    return value.removeprefix("sha256:").lower()


class PersistedQueries:
    def __init__(self, documents: Mapping[str, str], *, only_for_sessions: bool) -> None:
        self.documents = {_hex(key): text for key, text in documents.items()}
        self.only_for_sessions = only_for_sessions

    @classmethod
    def from_settings(cls, settings: Settings) -> PersistedQueries:
        path = Path(settings.persisted_queries_file or Path(settings.console_dir) / MANIFEST_NAME)
        documents: dict[str, str] = {}
        if path.is_file():
            loaded = json.loads(path.read_text())
            if not isinstance(loaded, dict) or not all(
                isinstance(key, str) and isinstance(text, str) for key, text in loaded.items()
            ):
                raise ValueError(f"{path}: expected an object of hash → document")
            for key, text in loaded.items():
                # A manifest entry whose key is not its text's hash is refused at start-up:
                # the client would send one hash and the server run another document.
                if _hex(key) != sha256_hex(text):
                    raise ValueError(f"{path}: {key} is not the sha256 of its document")
            documents = loaded
        elif settings.persisted_queries_file:
            raise FileNotFoundError(f"persisted queries file not found: {path}")
        log.info("persisted documents loaded", extra={"count": len(documents)})
        return cls(documents, only_for_sessions=settings.persisted_queries_only_for_sessions)

    def restricted(self, principal: Principal | None) -> bool:
        return self.only_for_sessions and (principal is None or not principal.is_master)

    def apply(self, request: Request, principal: Principal | None) -> Response | None:
        """Put a persisted document's text into the request, or answer why not.

        None lets the request go on (its body rewritten when it named a known hash).
        """
        if request.method == "GET":
            # Persisted documents travel by POST; a GET carries its text, an ad-hoc document.
            if self.restricted(principal) and "query" in request.query_params:
                return self._required(request)
            return None
        try:
            body: Any = orjson.loads(getattr(request, "_body", b"") or b"null")
        except orjson.JSONDecodeError:
            return None  # Strawberry answers a body that is not JSON
        if not isinstance(body, dict):
            return None
        extensions = body.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        query = body.get("query")
        if persisted is None:
            if self.restricted(principal) and query is not None:
                return self._required(request)
            return None
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str) or not digest:
            return error_response(
                request,
                400,
                ErrorCode.BAD_REQUEST,
                "`extensions.persistedQuery.sha256Hash` is the hex sha256 of a document.",
            )
        document = self.documents.get(_hex(digest))
        if document is None:
            return error_response(
                request,
                400,
                ErrorCode.PERSISTED_QUERY_NOT_FOUND,
                "No persisted document has this hash: send the document's text instead.",
            )
        if query is not None and query != document:
            return error_response(
                request,
                400,
                ErrorCode.BAD_REQUEST,
                "The query sent is not the persisted document of this hash.",
            )
        body["query"] = document
        request._body = orjson.dumps(body)
        return None

    def _required(self, request: Request) -> Response:
        return error_response(
            request,
            400,
            ErrorCode.PERSISTED_QUERY_REQUIRED,
            "This server accepts only persisted documents from session callers: send "
            "`extensions.persistedQuery.sha256Hash` of a document it knows.",
        )
