"""The secret's shape: prefix, random body, checksum; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from app.keys import tokens
from app.models.keys import KeyEnvironment


def test_issued_secrets_have_the_prefix_the_start_and_a_checksum() -> None:
    live = tokens.issue(KeyEnvironment.LIVE)
    test = tokens.issue(KeyEnvironment.TEST)
    assert live.secret.startswith("ak_live_")
    assert test.secret.startswith("ak_test_")
    assert len(live.secret) == tokens.MAX_LENGTH == 46
    assert live.start == live.secret[:14]
    assert live.hash == hashlib.sha256(live.secret.encode()).hexdigest()
    assert tokens.well_formed(live.secret)
    assert tokens.well_formed(test.secret)
    assert live.secret != tokens.issue(KeyEnvironment.LIVE).secret


@given(st.data())
def test_any_one_changed_character_fails_the_checksum(data: st.DataObject) -> None:
    secret = tokens.issue(KeyEnvironment.LIVE).secret
    position = data.draw(st.integers(min_value=len("ak_live_"), max_value=len(secret) - 1))
    replacement = data.draw(st.sampled_from(tokens.BASE62).filter(lambda c: c != secret[position]))
    typo = secret[:position] + replacement + secret[position + 1 :]
    assert not tokens.well_formed(typo)


@given(st.text(max_size=60))
def test_arbitrary_text_is_not_well_formed(text: str) -> None:
    assert not tokens.well_formed(text)


def test_wrong_prefix_length_or_alphabet() -> None:
    secret = tokens.issue(KeyEnvironment.TEST).secret
    assert not tokens.well_formed("ak_prod_" + secret[8:])
    assert not tokens.well_formed(secret[:-1])
    assert not tokens.well_formed(secret + "0")
    assert not tokens.well_formed(secret[:20] + "-" + secret[21:])
