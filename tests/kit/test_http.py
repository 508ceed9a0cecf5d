"""`redacted_query_string`: what the access log keeps of a query string."""

from __future__ import annotations

import pytest

from app.kit.http import redacted_query_string


@pytest.mark.parametrize(
    ("raw", "logged"),
    [
        (b"", ""),
        (b"query=%7B+me+%7B+scope+%7D+%7D", "query=***"),
        (
            b"query=query+Q%28%24p%3A+String%29&variables=%7B%22p%22%3A%22hunter2%22%7D"
            b"&operationName=Q",
            "query=***&variables=***&operationName=Q",
        ),
        # Names are kept as sent; a name alone or an empty value tells nothing more.
        (b"apiToken=sk_live_123&flag&empty=", "apiToken=***&flag&empty="),
        (b"operation%4Eame=Lookup", "operation%4Eame=Lookup"),
        # Only a GraphQL name passes as an operation name; anything else is a value.
        (b"operationName=hunter2+secret", "operationName=***"),
        (b"operationName=" + b"A" * 101, "operationName=***"),
        (b"operationname=Lookup", "operationname=***"),
        (b"a=1&&b=2&", "a=***&b=***"),
    ],
)
def test_values_are_redacted_and_names_kept(raw: bytes, logged: str) -> None:
    assert redacted_query_string(raw) == logged
