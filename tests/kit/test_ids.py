"""Time-ordered UUIDs and the opaque prefixed ids the API shows."""

from __future__ import annotations

import re
import uuid

import pytest

from app.kit import ids
from app.kit.ids import InvalidIdError, decode, encode, prefix_of, uuid7

ID_SHAPE = re.compile(r"^[a-z]+_[0-7][0-9a-hjkmnp-tv-z]{25}$")


@pytest.mark.parametrize(
    "value",
    [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.uuid4(), uuid7()],
    ids=["zero", "max", "uuid4", "uuid7"],
)
def test_round_trip(value: uuid.UUID) -> None:
    text = encode("usr", value)
    assert ID_SHAPE.match(text)
    assert decode(text, "usr") == value
    assert decode(text, ("cus", "usr")) == value
    assert prefix_of(text) == "usr"


def test_wrong_prefix_is_refused() -> None:
    text = encode("cus", uuid.uuid4())
    with pytest.raises(InvalidIdError, match="Expected an id like 'usr_…'"):
        decode(text, "usr")
    with pytest.raises(InvalidIdError, match="'usr_…' or 'mem_…'"):
        decode(text, ("usr", "mem"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "usr",
        "usr_",
        "usr_abc",
        "usr_" + "0" * 27,
        "usr_8" + "0" * 25,  # more than 128 bits
        "usr_" + "0" * 25 + "u",  # not in the Crockford alphabet
        "usr_" + "0" * 25 + "I",
        "usr_" + "0" * 25 + "!",
    ],
)
def test_malformed_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidIdError):
        decode(text, "usr")


def test_uuid7_layout() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_carries_its_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_700_000_000_123_456_789)
    value = uuid7()
    assert value.int >> 80 == 1_700_000_000_123


def test_ids_sort_in_creation_order(monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    for millis in range(1_700_000_000_000, 1_700_000_000_050):
        monkeypatch.setattr(ids.time, "time_ns", lambda millis=millis: millis * 1_000_000)
        made.append(uuid7())
    assert sorted(made) == made
    texts = [encode("aud", value) for value in made]
    assert sorted(texts) == texts  # the text form sorts the same way
    assert len(set(made)) == len(made)


def test_uuid7_is_monotonic_within_a_millisecond() -> None:
    made = [uuid7() for _ in range(5000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {value.version for value in made} == {7}
    assert {value.variant for value in made} == {uuid.RFC_4122}


def test_uuid7_counts_over_the_random_bits_carry() -> None:
    previous = (123 << 80) | (0x7 << 76) | (0xABC << 64) | (0b10 << 62) | ((1 << 62) - 1)
    following = ids._next_in_millisecond(previous)
    assert following > previous
    assert following >> 80 == 123
    assert uuid.UUID(int=following).version == 7
    assert uuid.UUID(int=following).variant == uuid.RFC_4122
