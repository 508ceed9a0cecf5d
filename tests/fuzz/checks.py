"""The schemathesis check of `scripts/fuzz`, loaded through `SCHEMATHESIS_HOOKS`.

Schemathesis' own `not_a_server_error` counts every GraphQL error with a `path` as a server
failure; in Admiral those are mostly coded refusals (INVALID_CURSOR, BAD_USER_INPUT, FORBIDDEN).
A server error here is what the API promises never to answer: HTTP 5xx, a body that is not
JSON, or an error that is a masked exception (code INTERNAL_SERVER_ERROR or INTERNAL, or the
masked message) or has no code, in a 200 answer as in any other.
"""

from __future__ import annotations

from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st

# A masked unexpected exception, whatever the status (200 with partial data, too).
INTERNAL_CODES = frozenset({"INTERNAL_SERVER_ERROR", "INTERNAL"})
INTERNAL_MESSAGE = "Internal server error"


@schemathesis.check
def admiral_no_server_error(ctx: Any, response: Any, case: Any) -> None:
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except ValueError:
        message = f"not JSON (HTTP {response.status_code}): {response.text[:300]}"
        raise AssertionError(message) from None
    errors = (body.get("errors") or []) if isinstance(body, dict) else []
    codes = [(error.get("extensions") or {}).get("code") for error in errors]
    masked = [error for error in errors if error.get("message") == INTERNAL_MESSAGE]
    if INTERNAL_CODES.intersection(codes) or None in codes or masked:
        raise AssertionError(f"error codes {codes}: {errors[0].get('message')}")


def _money(amount: int, currency: str) -> graphql.ObjectValueNode:
    """A `Money` literal, `{amount: 1999, currency: "USD"}`, as schemathesis needs it."""
    return graphql.ObjectValueNode(
        fields=(
            graphql.ObjectFieldNode(
                name=graphql.NameNode(value="amount"),
                value=graphql.IntValueNode(value=str(amount)),
            ),
            graphql.ObjectFieldNode(
                name=graphql.NameNode(value="currency"),
                value=graphql.StringValueNode(value=currency),
            ),
        )
    )


# Valid and invalid amounts and currencies alike: a refusal must be coded, never a 500.
schemathesis.graphql.scalar(
    "Money",
    st.builds(
        _money,
        st.integers(min_value=-(10**15), max_value=10**15),
        st.sampled_from(["USD", "EUR", "usd", "XX", ""]),
    ),
)
