"""The README is the newcomer's entry point: its configuration table must match the code."""

from __future__ import annotations

import re
from pathlib import Path

from app.settings import Settings

README = Path(__file__).parents[1] / "README.md"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_section = text.split("## ", 2)[1]
    assert "scripts/serve" in first_section
    assert "scripts/test" in first_section


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = dict(
        re.findall(r"^\| `(ADMIRAL_[A-Z_0-9]+)` \| ([^|]+) \|", README.read_text(), re.M)
    )
    for name, default, _ in Settings.describe():
        assert name in documented, f"{name} missing from the README configuration table"
        shown = documented[name].strip().strip("`")
        expected = "(none)" if default in ("None", "") else default
        assert shown == expected, f"{name}: README says {shown!r}, code says {expected!r}"
    assert set(documented) == {name for name, _, _ in Settings.describe()}
