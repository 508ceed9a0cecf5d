"""What one request tells its access line, its metrics and every log line written inside it.

The HTTP middleware (`app/rest/middleware.py`) starts a request's `Observed` note; the layers
that learn more write into it as they go: the principal (`note_actor`, once authenticated),
the GraphQL operation (`note_operation`, once parsed), how it ended (`note_outcome`). Both
the principal and the operation are also bound to structlog's context variables, so every
line logged while the request runs names them. Only public ids and kinds, never a token.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from structlog.contextvars import bind_contextvars

from app.kit.actor import Actor
from app.kit.http import is_operation_name

STATE_KEY = "observed"

OK = "ok"
USER_ERROR = "user_error"
ERROR = "error"

ORDINARY = "ordinary"


@dataclass(slots=True)
class Observed:
    operation: str | None = None  # the GraphQL operation's name, when it has a valid one
    operation_type: str | None = None  # query, mutation, subscription: known once parsed
    principal_id: str | None = None
    principal_kind: str | None = None
    impersonator_id: str | None = None
    # The worst of what happened: a payload's userErrors or a refused request (USER_ERROR),
    # an unexpected exception (ERROR); OK when nothing was noted.
    outcome: str = OK
    # How a read operation was executed (the compiled read path notes "compiled").
    read_path: str = ORDINARY


def observed(scope: MutableMapping[str, Any]) -> Observed:
    state = scope.setdefault("state", {})
    found = state.get(STATE_KEY)
    if found is None:
        found = state[STATE_KEY] = Observed()
    return found  # type: ignore[no-any-return]


def note_actor(scope: MutableMapping[str, Any], actor: Actor) -> None:
    note = observed(scope)
    note.principal_id = actor.id
    note.principal_kind = actor.type.value
    note.impersonator_id = actor.impersonator_id
    context: dict[str, Any] = {"principal_id": actor.id, "principal_kind": actor.type.value}
    if actor.impersonator_id is not None:
        context["impersonator_id"] = actor.impersonator_id
    bind_contextvars(**context)


def note_operation(
    scope: MutableMapping[str, Any], name: str | None, operation_type: str | None
) -> None:
    note = observed(scope)
    # The name is the client's text: kept only when it is a GraphQL name (no free text).
    note.operation = name if name is not None and is_operation_name(name) else None
    note.operation_type = operation_type
    if note.operation is not None:
        bind_contextvars(operation=note.operation)


_RANK = {OK: 0, USER_ERROR: 1, ERROR: 2}


def note_outcome(scope: MutableMapping[str, Any], outcome: str) -> None:
    """Keep the worse of the outcome noted so far and `outcome`."""
    note = observed(scope)
    if _RANK[outcome] > _RANK[note.outcome]:
        note.outcome = outcome
