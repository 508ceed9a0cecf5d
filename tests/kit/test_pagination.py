"""Cursor encoding and the page-size and search limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from app.kit.errors import ErrorCode, RequestError
from app.kit.pagination import check_page_size, check_search, decode_cursor, encode_cursor


@pytest.mark.parametrize(
    ("value", "value_type"),
    [
        (datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime),
        ("ada@example.com", str),
        (42, int),
    ],
)
def test_cursor_round_trip(value: object, value_type: type) -> None:
    row_id = uuid.uuid4()
    text = encode_cursor("User:X:asc", value, row_id)
    assert "=" not in text
    cursor = decode_cursor(text, "User:X:asc", value_type)
    assert (cursor.kind, cursor.value, cursor.id) == ("User:X:asc", value, row_id)


def test_cursor_of_another_kind_is_refused() -> None:
    text = encode_cursor("User:EMAIL:asc", "a", uuid.uuid4())
    with pytest.raises(RequestError) as raised:
        decode_cursor(text, "User:EMAIL:desc")
    assert raised.value.code is ErrorCode.INVALID_CURSOR


def test_cursor_value_of_the_wrong_type_is_refused() -> None:
    text = encode_cursor("User:CREATED_AT:asc", "not a time", uuid.uuid4())
    with pytest.raises(RequestError) as raised:
        decode_cursor(text, "User:CREATED_AT:asc", datetime)
    assert raised.value.code is ErrorCode.INVALID_CURSOR


@pytest.mark.parametrize(("first", "size"), [(None, 50), (0, 0), (1, 1), (200, 200)])
def test_page_sizes(first: int | None, size: int) -> None:
    assert check_page_size(first) == size


@pytest.mark.parametrize("first", [-1, 201, 500])
def test_page_size_limits(first: int) -> None:
    with pytest.raises(RequestError) as raised:
        check_page_size(first)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT


def test_search_text() -> None:
    assert check_search(None) is None
    assert check_search("  ") is None
    assert check_search("  ada ") == "ada"
    assert check_search("x" * 100) == "x" * 100
    with pytest.raises(RequestError):
        check_search("x" * 101)
